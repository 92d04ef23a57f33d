"""nbgrader configuration for The Deep Learning Clinic.

Run nbgrader from the repository root. Paths follow ``{step}/{student_id}/{assignment_id}`` and nbgrader
uses the student id ``.`` for the source and release steps, so an assignment ``03-batchnorm-regression``
is read from ``solutions/03-batchnorm-regression/`` and released, in place, to
``exercises/03-batchnorm-regression/``::

    .venv/bin/python -m nbgrader generate_assignment 03-batchnorm-regression --force

The grading tests (``tests/harness``) copy this file into a throw-away course directory, so everything
set here also applies to them.
"""

c = get_config()  # noqa: F821  (injected by traitlets when it loads this file)

c.CourseDirectory.course_id = "dlclinic"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The gradebook stays at its default, <root>/gradebook.db (git-ignored).

# Seconds per cell when autograding; the final training task takes about a minute on a CPU.
c.Execute.timeout = 300
# Seconds to wait for a kernel's last outputs (after a cell timed out, say); nbclient's default of 4 s lets a
# loaded grading machine drop a looping student's whole submission after the interrupt.
c.Execute.iopub_timeout = 30

# Student HTML made harmless wherever nbgrader renders a submission (the Formgrader's view of it, each feedback
# report): scripts, event handlers, javascript: links, styles, frames and remote images are shown as text or
# removed before the page is made (dlclinic.grading.harmless).
c.HTMLExporter.preprocessors = ["dlclinic.grading.harmless.CleanStudentHtml"]

c.ClearSolutions.code_stub = {"python": 'raise NotImplementedError("Your code here")'}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Never released, never copied into a grading sandbox: nbgrader's default ignore list, plus an assignment's check
# module solutions/<slug>/checks.py, which holds the references (dlclinic.grading.outside; solutions/README.md),
# and its instructor scripts solutions/<slug>/instructor_* (the one that makes the patients' checkpoints, say).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "checks.py", "instructor_*"]
