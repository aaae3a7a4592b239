"""Intake: files, zips and folders -> submissions with a student, an exercise and a sha256."""

from autograder.intake.roster import Roster, RosterError
from autograder.intake.submissions import Submission, intake

__all__ = ["Roster", "RosterError", "Submission", "intake"]
