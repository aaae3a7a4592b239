"""Gradescope, per submission in Gradescope's own containers: a grading entry point like the CLI.

    bundle.py    dist/<id>/autograder/gradescope.zip: setup.sh, run_autograder, the engine, the checks
    entry.py     what run_autograder runs: find the upload, grade it through the pipeline
    results.py   our result document -> Gradescope's results.json, and the course's settings
"""
