"""`autograder serve`: grading inside the LMS. An LTI 1.3 tool (or standalone personal links)
where students download their notebook, hand in, and see their feedback in seconds; scores go
back to the LMS's gradebook; the teacher follows the class live.

    lti.py        LTI 1.3 through PyLTI1p3: login, launch validation, Deep Linking, AGS scores
    app.py        the Flask pages and endpoints
    security.py   keys, session cookie, CSRF, Content-Security-Policy, signed links, safe text
    store.py      the service's SQLite state: sessions, nonces, attempts, score posts owed
    storage.py    uploads by content hash, durable before they are acknowledged
    notebooks.py  the notebook a student downloads (personal where the exercise varies)
    grading.py    the grading queue: resident warm workers, a lane for training tasks
    passback.py   score posts to the LMS (lms.pick), retried with backoff, never lost
    server.py     the service and its waitress server, started and stopped together
    platform.py   a stand-in LMS (lti1p3platform) for `autograder serve --demo` and the tests
    demo.py       the tool and the stand-in LMS started together, registered with each other
"""
