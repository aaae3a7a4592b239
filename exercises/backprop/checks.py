"""Hidden checks of `backprop`: f = (x + y) * z, forward and backward, by hand and with autograd.

Otter questions and the names they grade:
    q1_forward     q, f                          q = x + y, f = q * z at the given point (x, y, z)
    q2_backward    df_dq, df_dx, df_dy, df_dz    the gradients by hand, with the chain rule
    q3_autograd    grad_x, grad_y, grad_z        xt.grad, yt.grad, zt.grad after ft.backward()
    q4_grad_f      grad_f(x, y, z)               (df/dx, df/dy, df/dz), called on the grader's points

grad_f may return a tuple, a list, an array or a tensor of the three numbers; each number may be
a float, a numpy scalar or a (0-d) tensor. GradCheck, defined here, is a ValueCheck that explains
a `.grad` of None (requires_grad=True or .backward() missing) instead of only refusing it.

Every student may have their own point (x, y, z) (a variant): the expected values and the
typical mistakes are computed from the student's numbers, `sol.for_student(key)`.
"""

import numpy as np

from autograder.exercises import load_solution
from autograder.judge import FunctionCheck, Upstream, ValueCheck, Verdict
from autograder.probe import Var

sol = load_solution(__file__)


class GradCheck(ValueCheck):
    """The value of a gradient read from a tensor's `.grad`; None gets its own hint."""

    def judge(self, answers, asked):
        answer = answers["value"]
        if answer.error is not None and "not defined" in answer.error:
            return Verdict(
                0.0,
                f"`{self.var}` is not defined: the cell stopped before it was set",
                "if ft.backward() failed with 'does not require grad', create the tensors with "
                "torch.tensor(x, requires_grad=True); then .backward() fills xt.grad, yt.grad and zt.grad",
            )
        if answer.error is None and answer.value is None:
            return Verdict(
                0.0,
                f"`{self.var}` is None: it should be {self.description}",
                "a tensor's .grad stays None unless the tensor was created with requires_grad=True "
                "and .backward() was called on the output",
            )
        return super().judge(answers, asked)


def _points(rng):
    """Four points (x, y, z), fresh for every grading; q = x + y differs from z, so that the
    classic slip df/dz = z cannot pass for df/dz = q."""
    cases = []
    while len(cases) < 4:
        x, y, z = (float(v) for v in np.round(rng.uniform(-6.0, 6.0, size=3), 2))
        if not np.isclose(x + y, z) and not np.isclose(z, 0.0):
            cases.append((x, y, z))
    return cases


DZ_AS_Z = "df/dz was given as z: the derivative of f = q * z with respect to z is the other factor, q"
DQ_AS_Q = "df/dq was given as q: the derivative of f = q * z with respect to q is the other factor, z"
CHAIN_RULE = (
    "the chain rule is missing: dq/dx = 1 is only the local gradient; "
    "df/dx = df/dq * dq/dx, the upstream gradient times the local one"
)
ACCUMULATED = (
    "the gradient is twice too large: .backward() ran twice and .grad accumulates; "
    "rebuild the tensors (run the whole cell again) or zero the gradients first"
)

CHAIN_RULE_ADDED = ("the chain rule multiplies: df/dx = df/dq * dq/dx, the upstream gradient times the local one, "
                    "not their sum")


def _z() -> float:
    return sol.student_expected()["Z"]


def _from(var: str, rule, hint: str, mistakes=None) -> Upstream:
    """An answer computed from the student's own earlier answer `var`."""
    return Upstream(probes={var: Var(var)}, rule=rule, hint=hint, mistakes=dict(mistakes or {}))


F_FROM_Q = _from("q", lambda q: q * _z(), "f = q * z is right for your q, but q is not right (see the check of q)")
DX_FROM_DQ = _from("df_dq", lambda df_dq: df_dq * 1.0,
                   "the chain rule is applied right to your df/dq, but df/dq is not right (see its check)",
                   {CHAIN_RULE_ADDED: lambda df_dq: df_dq + 1.0})
DZ_FROM_Q = _from("q", lambda q: q, "df/dz = q is right for your q, but q is not right (see the check of q)")


CHECKS = [
    ValueCheck(
        "q",
        expected=sol.for_student("Q"),
        description="the value of the addition node, q = x + y",
        mistakes={"q is the sum x + y, not the difference": sol.for_student("Q_DIFFERENCE")},
    ),
    ValueCheck(
        "f",
        expected=sol.for_student("F"),
        description="the output f = (x + y) * z = q * z",
        mistakes={
            "the brackets were forgotten: f = (x + y) * z, not x + y * z": sol.for_student("F_WITHOUT_BRACKETS"),
            "q was given instead of f = q * z": sol.for_student("Q"),
            "f is the product q * z, not the sum": sol.for_student("F_SUM"),
        },
        upstream=F_FROM_Q,
    ),
    ValueCheck(
        "df_dq",
        expected=sol.for_student("DF_DQ"),
        description="the gradient of f with respect to the intermediate value q",
        mistakes={DQ_AS_Q: sol.for_student("Q"), "df/dq is not 1: f = q * z grows by z when q grows by 1": 1.0},
    ),
    ValueCheck(
        "df_dx",
        expected=sol.for_student("DF_DX"),
        description="the gradient of f with respect to x, through the addition node",
        mistakes={CHAIN_RULE: 1.0, "df/dx was given as x: use the chain rule, df/dq * dq/dx": sol.for_student("X"), DQ_AS_Q: sol.for_student("Q"),
                  CHAIN_RULE_ADDED: sol.for_student("DF_DX_ADDED")},
        upstream=DX_FROM_DQ,
    ),
    ValueCheck(
        "df_dy",
        expected=sol.for_student("DF_DY"),
        description="the gradient of f with respect to y, through the addition node",
        mistakes={CHAIN_RULE: 1.0, "df/dy was given as y: use the chain rule, df/dq * dq/dy": sol.for_student("Y"), DQ_AS_Q: sol.for_student("Q"),
                  CHAIN_RULE_ADDED: sol.for_student("DF_DX_ADDED")},
        upstream=DX_FROM_DQ,
    ),
    ValueCheck(
        "df_dz",
        expected=sol.for_student("DF_DZ"),
        description="the gradient of f with respect to z, the local gradient of the multiplication node",
        mistakes={DZ_AS_Z: sol.for_student("Z"), "df/dz was given as f: the gradient of q * z with respect to z is q": sol.for_student("F")},
        upstream=DZ_FROM_Q,
    ),
    GradCheck(
        "grad_x",
        expected=sol.for_student("DF_DX"),
        description="the gradient df/dx that autograd stores in xt.grad",
        mistakes={ACCUMULATED: sol.for_student("DF_DX_TWICE")},
    ),
    GradCheck(
        "grad_y",
        expected=sol.for_student("DF_DY"),
        description="the gradient df/dy that autograd stores in yt.grad",
        mistakes={ACCUMULATED: sol.for_student("DF_DY_TWICE")},
    ),
    GradCheck(
        "grad_z",
        expected=sol.for_student("DF_DZ"),
        description="the gradient df/dz that autograd stores in zt.grad",
        mistakes={ACCUMULATED: sol.for_student("DF_DZ_TWICE"), DZ_AS_Z: sol.for_student("Z")},
    ),
    FunctionCheck(
        "grad_f",
        cases=_points,
        reference=sol.grad_f,
        points=2.0,
        description="the three gradients (df/dx, df/dy, df/dz) of f = (x + y) * z at that point",
        mistakes={
            CHAIN_RULE: sol.grad_chain_rule_missing,
            DZ_AS_Z: sol.grad_dz_as_z,
            "these are the gradients of x + y * z: f = (x + y) * z needs the brackets": sol.grad_without_brackets,
            ACCUMULATED: sol.grad_accumulated,
            CHAIN_RULE_ADDED: sol.grad_chain_rule_added,
            "df/dz = q, and q is the sum x + y, not the difference": sol.grad_q_difference,
            "the gradients are in the wrong order: return (df/dx, df/dy, df/dz), df/dz last":
                lambda x, y, z: (x + y, z, z),
        },
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_forward": ["q", "f"],
    "q2_backward": ["df_dq", "df_dx", "df_dy", "df_dz"],
    "q3_autograd": ["grad_x", "grad_y", "grad_z"],
    "q4_grad_f": ["grad_f"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"x": given["x"], "y": given["y"], "z": given["z"]}


# For the no-answers search (autograder/build/leaks.py): the gradients asked as formulas.
ANSWER_TEXTS = [r"\\partial f}{\\partial q} = z", r"\\partial f}{\\partial z} = q", r"df_dq = z\b", r"df_dz = q\b",
                r"\\partial f / \\partial z = q"]
