"""A synthetic class for the similarity report: honest students who each write their own
answers, in their own style, and planted copies of some of them.

Every honest student is drawn from a seeded generator (their habits: similarity_style.py; what
they write per question: similarity_answers.py) and put into the exercise's student notebook,
the handed-out cells as they are. Planted copies take one honest student's notebook and
disguise it: renamed variables, reordered cells, changed comments, one answer rewritten, and
(training) the same recipe in the copier's own code. `make_class` returns the notebooks and the
planted (source, copy) pairs.

`make_class(..., disguises="boundaries")` plants another set instead, copies that move the cell
boundaries and keep the code (BOUNDARY_DISGUISES): the answers merged into one cell, a line added
to every answer cell, an answer split over two cells, the prints merged into the answers, a
line moved into the next cell, and the answers and prints merged, renamed and re-commented. The
honest students are the same as in the default class of the seed.
"""

from __future__ import annotations

import ast
import copy
import functools
import random
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from support.similarity_answers import ANSWERS, EXTRAS, _training_answer, draw_recipe
from support.similarity_style import Style, _comment, habits

from autograder.build.master import marker, question_config
from support.paths import REPO

ROOT = REPO
EXERCISES = ("sigmoid_probability", "gradient_descent", "train_banknote")


@functools.lru_cache(maxsize=None)
def _default_variant(exercise: str) -> dict:
    from autograder.build.variants import default_variant, has_placeholders

    master = ROOT / "exercises" / exercise / f"{exercise}.ipynb"
    return default_variant(exercise) if has_placeholders(master) else {}


def _render(source: str, params: dict) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: repr(params.get(m.group(1), 0)), source)


@functools.lru_cache(maxsize=None)
def master_layout(exercise: str) -> tuple[tuple[str, str], ...]:
    """The student version's code cells as (kind, text): ("given", code) or ("answer", question)."""
    nb = nbformat.read(str(ROOT / "exercises" / exercise / f"{exercise}.ipynb"), as_version=4)
    params = _default_variant(exercise)
    layout, question, in_block = [], None, None
    for cell in nb.cells:
        kind = marker(cell)
        if kind == "BEGIN QUESTION":
            question = question_config(cell).get("name")
        elif kind in ("BEGIN SOLUTION", "BEGIN TESTS"):
            in_block = kind
            if kind == "BEGIN SOLUTION":
                layout.append(("answer", question))
            else:
                layout.append(("given", f'grader.check("{question}")'))
        elif kind in ("END SOLUTION", "END TESTS"):
            in_block = None
        elif cell.cell_type == "code" and in_block is None:
            layout.append(("given", _render(cell.source, params)))
    return tuple(layout)


@dataclass
class Student:
    name: str
    exercise: str
    answers: dict  # question -> code ("": no cell; a list: one cell each, a copier's split)
    extras: dict  # question -> code after the answer (may be "")
    order: list  # question order of the answer cells
    recipe: dict | None = None


def draw_student(exercise: str, name: str, seed: int) -> Student:
    s = Style(random.Random(seed))
    s.comments = s.rng.choice([0.0, 0.0, 0.1, 0.3, 0.6])
    s.prints = s.rng.choice([0.0, 0.2, 0.5, 0.8])
    s.spaces = s.rng.random() < 0.8
    layout = master_layout(exercise)
    questions = [q for kind, q in layout if kind == "answer"]
    recipe = None
    answers, extras = {}, {}
    for q in questions:
        if exercise == "train_banknote":
            recipe = draw_recipe(s)
            answers[q] = _comment(s, _training_answer(s, recipe))
        else:
            answers[q] = _comment(s, habits(s, ANSWERS[exercise][q](s)))
        extras[q] = EXTRAS[exercise](s, q)
    student = Student(name, exercise, answers, extras, list(questions), recipe)
    student.style = s
    return student


def notebook(student: Student, cell_order: list[int] | None = None) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell("# @title Set-up: run this cell first\nimport base64\n_bundle = 'UEsDBBQ...'")]
    answer_cells = []
    for kind, value in master_layout(student.exercise):
        if kind == "given":
            cells.append(nbformat.v4.new_code_cell(value))
        else:
            slot = len(cells)
            cells.append(None)
            answer_cells.append(slot)
            if student.extras.get(value):
                cells.append(nbformat.v4.new_code_cell(student.extras[value]))
    for slot, q in zip(answer_cells, student.order):
        answer = student.answers[q]
        cells[slot] = [nbformat.v4.new_code_cell(part) for part in ([answer] if isinstance(answer, str) else answer) if part]
    cells = [c for cell in cells for c in (cell if isinstance(cell, list) else [cell])]
    if cell_order:
        cells = [cells[i] for i in cell_order]
    cells.append(nbformat.v4.new_code_cell("grader.export(pdf=False)"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["autograder"] = {"exercise": student.exercise}
    return nb


# ------------------------------------------------------------------ planted copies

def renamed(source: Student, name: str, seed: int) -> Student:
    """Every name the student chose (not the asked ones) renamed, consistently."""
    rng = random.Random(seed)
    chosen = sorted(set(source.style.names.values()))  # sorted: the same renaming in every process
    mapping = {n: f"{rng.choice(['my', 'the', 'a', 'new'])}_{n}_{rng.randint(1, 99)}" for n in chosen}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(mapping, key=len, reverse=True))) + r")\b") if mapping else None

    def swap(code: str) -> str:
        return pattern.sub(lambda m: mapping[m.group(1)], code) if pattern else code

    out = copy.deepcopy(source)
    out.name = name
    out.answers = {q: swap(c) for q, c in source.answers.items()}
    out.extras = {q: swap(c) for q, c in source.extras.items()}
    return out


def recommented(source: Student, name: str, seed: int) -> Student:
    """Comments removed and others added, spacing changed."""
    s = Style(random.Random(seed))
    s.comments = 0.5
    strip = lambda code: "\n".join(re.sub(r"\s*#.*$", "", line) for line in code.splitlines())  # noqa: E731
    out = copy.deepcopy(source)
    out.name = name
    out.answers = {q: _comment(s, strip(c).replace(" = ", "=")) for q, c in source.answers.items()}
    out.extras = {q: _comment(s, strip(c)) for q, c in source.extras.items()}
    return out


def reordered(source: Student, name: str, seed: int) -> Student:
    """The answers in another order (each answer cell moved, with what follows it)."""
    out = copy.deepcopy(source)
    out.name = name
    random.Random(seed).shuffle(out.order)
    if out.order == source.order and len(out.order) > 1:
        out.order = out.order[1:] + out.order[:1]
    out.reorder_seed = seed
    return out


def one_changed(source: Student, name: str, seed: int) -> Student:
    """One answer rewritten in the copier's own way; where there is one answer only (a training
    task), one of its settings changed (the epochs)."""
    out = copy.deepcopy(source)
    out.name = name
    if len(source.answers) == 1:
        q, = source.answers
        out.answers[q] = re.sub(r"(epochs\"?\s*[:=]\s*)(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + 17}",
                                source.answers[q])
        return out
    mine = draw_student(source.exercise, name, seed)
    q = sorted(source.answers, key=lambda k: len(source.answers[k]))[-1]  # the longest: the most rewritten
    out.answers[q] = mine.answers[q]
    out.extras[q] = mine.extras[q]
    return out


def same_recipe(source: Student, name: str, seed: int) -> Student:
    """The copier's own code (style, layout, names), with the source's training recipe."""
    mine = draw_student(source.exercise, name, seed)
    for q in mine.answers:
        mine.answers[q] = _comment(mine.style, _training_answer(mine.style, source.recipe))
    mine.recipe = source.recipe
    return mine


DISGUISES = {"renamed": renamed, "reordered": reordered, "recommented": recommented, "one answer changed": one_changed}


# ------------------------------------------------------------------ copies that move the cell boundaries

def _statements(code: str) -> list[str]:
    """`code` cut before each top-level statement (its decorators and the comments above it with it)."""
    lines = code.splitlines()
    starts = sorted({min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", []))]) - 1
                     for n in ast.parse(code).body} - {0})
    return ["\n".join(lines[a:b]).strip("\n") for a, b in zip([0, *starts], [*starts, len(lines)])]


def _most_statements(source: Student) -> str:
    """The question whose answer has the most top-level statements (the longest of those)."""
    return max(source.order, key=lambda q: (len(_statements(source.answers[q])), len(source.answers[q])))


def answers_merged(source: Student, name: str, seed: int) -> Student:
    """Every answer in the first answer cell, one after the other; the other answer cells gone."""
    out = copy.deepcopy(source)
    out.name = name
    out.answers = {q: "" for q in source.order}
    out.answers[source.order[0]] = "\n\n\n".join(source.answers[q] for q in source.order)
    return out


def line_added(source: Student, name: str, seed: int) -> Student:
    """A line of the copier's at the end of every answer cell: a print, an assignment."""
    rng = random.Random(seed)
    out = copy.deepcopy(source)
    out.name = name
    for k, q in enumerate(source.order, 1):
        line = rng.choice([f'print("done {k}")', f"checked_{k} = True", f'print("step", {k})', f"answer_{k} = None"])
        out.answers[q] = f"{source.answers[q]}\n{line}"
    return out


def answer_split(source: Student, name: str, seed: int) -> Student:
    """The answer with the most statements over two cells, cut at the statement nearest its middle."""
    out = copy.deepcopy(source)
    out.name = name
    q = _most_statements(source)
    parts = _statements(source.answers[q])
    cut = max(1, len(parts) // 2)
    out.answers[q] = ["\n".join(parts[:cut]), "\n".join(parts[cut:])]
    return out


def extras_merged(source: Student, name: str, seed: int) -> Student:
    """Each print or check the source put after an answer, in the answer's cell."""
    out = copy.deepcopy(source)
    out.name = name
    for q in source.order:
        if source.extras.get(q):
            out.answers[q] = f"{source.answers[q]}\n{source.extras[q]}"
            out.extras[q] = ""
    return out


def line_moved(source: Student, name: str, seed: int) -> Student:
    """The last statement of the answer with the most statements moved to the top of the next own
    cell (the print after it, else the next answer, else a cell of its own)."""
    out = copy.deepcopy(source)
    out.name = name
    q = _most_statements(source)
    parts = _statements(source.answers[q])
    if len(parts) < 2:
        return out
    out.answers[q], moved = "\n".join(parts[:-1]), parts[-1]
    slot = source.order.index(q)  # the answer cell it fills, and the print after that cell
    after = [value for kind, value in master_layout(source.exercise) if kind == "answer"][slot]
    if source.extras.get(after):
        out.extras[after] = f"{moved}\n{source.extras[after]}"
    elif slot + 1 < len(source.order):
        following = source.order[slot + 1]
        out.answers[following] = f"{moved}\n{source.answers[following]}"
    else:
        out.answers[q] = [out.answers[q], moved]
    return out


def all_merged(source: Student, name: str, seed: int) -> Student:
    """Prints merged into the answers, the answers into one cell (where there are several),
    renamed and re-commented: every boundary gone, and the disguises of the default set."""
    merged = extras_merged(source, name, seed)
    if len(source.order) > 1:
        merged = answers_merged(merged, name, seed)
    return recommented(renamed(merged, name, seed + 1), name, seed + 2)


BOUNDARY_DISGUISES = {"answers merged into one cell": answers_merged, "a line added to every answer": line_added,
                      "an answer split over two cells": answer_split, "prints merged into the answers": extras_merged,
                      "a line moved into the next cell": line_moved,
                      "prints and answers merged, renamed, re-commented": all_merged}
NEEDS_EXTRAS = {"prints merged into the answers", "prints and answers merged, renamed, re-commented"}


def _plant_boundaries(exercise: str, e_index: int, students: list, seed: int) -> list[tuple[str, Student, Student]]:
    """(label, source, copy) per boundary disguise that changes something in this exercise; a
    disguise that merges prints takes a source with prints."""
    rng = random.Random(seed * 13 + e_index)
    pool = rng.sample(students, len(students))
    out = []
    for k, (label, disguise) in enumerate(BOUNDARY_DISGUISES.items()):
        if label == "answers merged into one cell" and len(pool[0].order) < 2:
            continue
        chosen = next((st for st in pool if not (label in NEEDS_EXTRAS and not any(st.extras.values()))), pool[0])
        pool.remove(chosen)
        out.append((label, chosen, disguise(chosen, f"c{e_index}{k:03d}", seed * 7 + e_index * 31 + k)))
    return out


@dataclass
class SyntheticClass:
    notebooks: dict  # (exercise, student) -> NotebookNode
    planted: list  # (exercise, source student, copy student, disguise)
    honest: dict  # exercise -> [students]


def make_class(honest: int = 32, seed: int = 2026, exercises=EXERCISES, disguises: str = "default") -> SyntheticClass:
    """HONEST students per exercise and the planted copies of some of them: DISGUISES (and
    all of them at once) by default, BOUNDARY_DISGUISES with `disguises="boundaries"`."""
    notebooks, planted, names = {}, [], {}
    for e_index, exercise in enumerate(exercises):
        students = [draw_student(exercise, f"s{e_index}{i:03d}", seed * 1000 + e_index * 100 + i) for i in range(honest)]
        names[exercise] = [s.name for s in students]
        for st in students:
            notebooks[(exercise, st.name)] = notebook(st)
        if disguises == "boundaries":
            for label, source, copier in _plant_boundaries(exercise, e_index, students, seed):
                notebooks[(exercise, copier.name)] = notebook(copier)
                planted.append((exercise, source.name, copier.name, label))
            continue
        disguises = dict(DISGUISES)
        if exercise == "train_banknote":
            disguises["same recipe, own code"] = same_recipe
        sources = random.Random(seed + e_index).sample(students, len(disguises) + 1)
        for k, ((label, disguise), source) in enumerate(zip(disguises.items(), sources)):
            copier = disguise(source, f"c{e_index}{k:03d}", seed * 7 + e_index * 31 + k)
            notebooks[(exercise, copier.name)] = notebook(copier)
            planted.append((exercise, source.name, copier.name, label))
        # all disguises at once: renamed, re-commented and reordered
        source = sources[-1]
        copier = reordered(recommented(renamed(source, "x", 1), "x", 2), f"c{e_index}999", 3)
        notebooks[(exercise, copier.name)] = notebook(copier)
        planted.append((exercise, source.name, copier.name, "renamed, re-commented and reordered"))
    return SyntheticClass(notebooks, planted, names)


def write_class(klass: SyntheticClass, folder: Path) -> None:
    """One folder per student, one notebook per exercise (as `autograder grade` reads them)."""
    for (exercise, student), nb in klass.notebooks.items():
        target = folder / student / f"{exercise}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(target))
