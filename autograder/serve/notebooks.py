"""The notebook a student downloads from their page: the build's student version, or, for an
exercise that varies when the course has a secret, their own personal notebook, made and
signed on first download (autograder/build/variants.py) and added to the course's record of
what was handed out (autograder/handout.py), so the grader then requires it.

Exercises are built on first use into DATA/dist (autograder/build/), once per service.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from autograder import handout as handouts
from autograder.build import build_exercise
from autograder.build import variants
from autograder.course import Course


class Notebooks:
    def __init__(self, course: Course, dist: Path):
        self.course, self.dist = course, dist
        self.lock = threading.Lock()
        self.secret = variants.load_secret(course)

    def built(self, exercise: str) -> Path:
        """DATA/dist/<id>/, built on first use."""
        folder = self.dist / exercise
        with self.lock:
            if not (folder / "student" / f"{exercise}.ipynb").is_file():
                build_exercise(self.course.known_exercise(exercise), self.dist, published=self.course.published_notebook(exercise),
                               record=handouts.load(self.course), course=self.course)
        return folder

    def personal(self, exercise: str) -> bool:
        return bool(self.secret) and self.course.known_exercise(exercise).varies

    def for_student(self, exercise: str, student: str) -> tuple[str, bytes]:
        """(file name, bytes) of the notebook `student` should work in."""
        folder = self.built(exercise)
        name = f"{exercise}.ipynb"
        secret = self.secret
        if secret is None or not self.personal(exercise):
            return name, (folder / "student" / name).read_bytes()
        target = folder / "students" / hashlib.sha256(student.encode()).hexdigest()[:32] / name
        with self.lock:
            if not target.is_file():
                variants.personalise(folder / "autograder" / f"{exercise}.template.ipynb", exercise, student,
                                     secret, target, self.course.known_exercise(exercise).folder)
                if student not in handouts.load(self.course).exercises.get(exercise, []):
                    handouts.write(self.course, secret, {exercise: [student]})
        return name, target.read_bytes()
