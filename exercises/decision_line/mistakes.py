"""Typical week-1 mistakes in `decision_line`, with the hints they should get
(judged by `python -m autograder.judge.coverage` and tests/test_mistakes.py)."""

from autograder.judge.coverage import Mistake

MISTAKES = [
    Mistake("the linear part set to 0.5 instead of 0",
            edits={"intercept = -b0 / b2": "intercept = (0.5 - b0) / b2",
                   "x2 = -(1.0 + 2.0*x1) / 0.5": "x2 = (0.5 - 1.0 - 2.0*x1) / 0.5"},
            expect={"intercept": "not 0.5", "line_formula": "not 0.5", "decision_line": "not 0.5"}),
    Mistake("the log-odds at p = 0.5 taken as 0.5, and used",
            edits={"log_odds_at_half = np.log(0.5 / (1 - 0.5))": "log_odds_at_half = 0.5",
                   "intercept = -b0 / b2 # SOLUTION": "intercept = (log_odds_at_half - b0) / b2"},
            expect={"log_odds_at_half": "p itself", "intercept": "your log-odds"}),
    Mistake("the odds instead of the log-odds",
            edits={"log_odds_at_half = np.log(0.5 / (1 - 0.5))": "log_odds_at_half = 0.5 / (1 - 0.5)"},
            expect={"log_odds_at_half": "odds p/(1-p)"}),
    Mistake("both signs kept when moving the terms",
            edits={"intercept = -b0 / b2": "intercept = b0 / b2", "slope = -b1 / b2": "slope = b1 / b2",
                   "x2 = -(1.0 + 2.0*x1) / 0.5": "x2 = (1.0 + 2.0*x1) / 0.5"},
            expect={"intercept": "sign", "slope": "sign", "line_formula": "signs", "decision_line": "signs"}),
    Mistake("slope and intercept swapped",
            edits={"intercept = -b0 / b2": "intercept = -b1 / b2", "slope = -b1 / b2": "slope = -b0 / b2"},
            expect={"intercept": "swapped", "slope": "swapped", "decision_line": "swapped"}),
    Mistake("divided by b1",
            edits={"intercept = -b0 / b2": "intercept = -b0 / b1", "slope = -b1 / b2": "slope = -b2 / b1"},
            expect={"intercept": "wrong coefficient", "slope": "wrong coefficient", "decision_line": "wrong coefficient"}),
    Mistake("not divided by b2",
            edits={"intercept = -b0 / b2": "intercept = -b0", "slope = -b1 / b2": "slope = -b1",
                   "x2 = -(1.0 + 2.0*x1) / 0.5": "x2 = -(1.0 + 2.0*x1)"},
            expect={"intercept": "not divided", "slope": "not divided", "line_formula": "not divided",
                    "decision_line": "not divided"}),
    Mistake("the formula written from a wrong intercept and slope",
            edits={"intercept = -b0 / b2 # SOLUTION": "intercept = b0 / b2",
                   'line_formula = "x2 = -(1.0 + 2.0*x1) / 0.5"': 'line_formula = f"x2 = {intercept} + {slope}*x1"'},
            expect={"intercept": "sign", "line_formula": "your intercept and slope"}),
]
