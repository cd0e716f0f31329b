"""The course map that several test files check against: the chapters, in order."""

CHAPTERS = [
    "00_start_here",
    "01_scalar_autograd",
    "02_tensors",
    "03_rnn_bptt",
    "04_vanishing_gradient",
    "05_lstm_cell",
    "06_constant_error_flow",
    "07_long_range_tasks",
    "08_lstm_on_text",
]
EXERCISE_CHAPTERS = CHAPTERS[1:]  # chapter 0 has no exercise notebook
