"""Who copied from whom: which submissions of an exercise are most alike, for the teacher only.

    own_code.py      a notebook less the handed-out code: what the student wrote
    fingerprints.py  copydetect's fingerprints of it, weighted by rarity in the class: the code score
    answers.py       answer by answer: the own cells two submissions share (by their statements,
                     whatever the cell boundaries), weighted by rarity
    signals.py       what this course adds: training recipes and seeds, identical (wrong) answers
                     in the gradebook, the same signed variant block
    compare.py       per exercise, the pairs most alike with their score and evidence
    sources.py       the submissions, from a `grade` output or from paths, never graded again

A score is evidence to look at, never a verdict: it says how much of two students' own work is
the same and unusual in their class. The report (autograder/export/similarity.py and the
report's similarity section) says so beside every list, and nothing of it reaches students.
"""

from autograder.similarity.compare import THRESHOLD, TOP, ExerciseSimilarity, Pair, Submitted, compare_class

__all__ = ["THRESHOLD", "TOP", "ExerciseSimilarity", "Pair", "Submitted", "compare_class"]
