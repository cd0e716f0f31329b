"""The course built on the engine: what the notebooks and exercises use, never the engine itself.

`minigrad.course.grading` holds the exercises' checks, the inline `check()` and the grader;
`minigrad.course.workspace` the learner's own folder, `my-work/`.
"""
