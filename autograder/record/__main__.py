"""`python -m autograder.record > schemas/result.schema.json`: the published JSON schema of the
result documents (results/<name>.json), from the model (autograder/record/result.py)."""

from autograder.record.result import schema_text

print(schema_text(), end="")
