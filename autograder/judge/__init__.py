"""Judge: hidden checks run in the grader's process against the reference solutions."""

from autograder.judge.checks import BuildsOn, Check, FunctionCheck, Upstream, ValueCheck, Verdict, drawn_as, with_carry_forward
from autograder.judge.variant import FromVariant, current_variant, using_variant
from autograder.judge.forms import FormError, as_array, as_bool, as_int, as_number, as_shape, as_text, present

__all__ = [
    "BuildsOn", "Check", "drawn_as", "FunctionCheck", "Upstream", "ValueCheck", "Verdict", "with_carry_forward", "FormError", "FromVariant",
    "current_variant", "using_variant", "as_array", "as_bool", "as_int", "as_number", "as_shape", "as_text", "present",
]
