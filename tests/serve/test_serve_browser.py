"""`autograder serve` in headless Chromium: a student's launch from the stand-in LMS, their
notebook downloaded, a hand-in uploaded through the page's form, the feedback page with its
checks; and the teacher's table updating by itself when another student hands in."""

from __future__ import annotations

from support.browser import headless_chromium
from support.serve import EXERCISE, SECRET, course_in, solved_bytes


def test_student_hands_in_and_teacher_table_updates_in_chromium(tmp_path, monkeypatch):
    from playwright.sync_api import expect

    from autograder.build.variants import SECRET_ENV, SECRET_FILE_ENV
    from autograder.exercises import load_checks
    from autograder.serve.demo import place_exercises, start_pair

    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    course = course_in(tmp_path)
    pair = start_pair(course, tmp_path / "data", workers=1)
    links = place_exercises(pair, course)
    errors = []
    try:
        with headless_chromium() as browser:
            teacher = browser.new_context().new_page()
            teacher.goto(pair.lms.start_url("teacher", "instructor", links[EXERCISE]))
            expect(teacher.locator("#class")).to_contain_text("No student has opened the tool yet")

            student = browser.new_context(accept_downloads=True).new_page()
            student.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            student.goto(pair.lms.start_url("alice", "learner", links[EXERCISE]))
            expect(student.locator("#title")).to_have_text(course.exercise(EXERCISE).title)
            expect(student.locator("#who")).to_have_text("Alice")
            with student.expect_download() as download:
                student.click("#download")
            notebook = tmp_path / "alice.ipynb"
            download.value.save_as(notebook)
            handed = tmp_path / "handed_in.ipynb"
            handed.write_bytes(solved_bytes(notebook.read_bytes()))
            student.set_input_files("#upload input[type=file]", str(handed))
            student.click("#upload button")
            expect(student.locator("#feedback")).to_be_visible(timeout=120_000)  # the page refreshes itself
            expect(student.locator("#status")).to_have_text("graded")
            top = student.locator("#max").inner_text()
            expect(student.locator("#score")).to_have_text(top)
            assert float(top) > 0
            checks = load_checks(course.exercise(EXERCISE))
            framed = student.frame_locator("#feedback-page")  # the feedback page of export/feedback.py
            expect(framed.locator("section.check")).to_have_count(len(checks))
            expect(framed.locator("section.check").first).to_contain_text("passed")

            # The teacher's table refreshes by itself: Alice appears, then her score and its passback.
            cell = teacher.locator(f'td[data-student="alice"][data-exercise="{EXERCISE}"]')
            expect(cell).to_contain_text(f"graded {top}/{top}", timeout=30_000)
            expect(cell).to_contain_text("LMS: posted", timeout=30_000)
    finally:
        pair.stop()
    assert errors == []  # nothing the CSP blocked, no script error
