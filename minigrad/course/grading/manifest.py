"""What the course grades: every notebook's parts, each with its points and its check.

The grader scores exactly the parts listed here for each notebook, whatever the learner's
notebook contains: a part it does not answer is a 0 with the reason, it never lowers the
maximum, and anything else in the notebook adds nothing.

Each part names the function the exercise asks the learner to write (`function`): the
grader's judge takes that function out of the learner's kernel and runs the part's check on
it. `references` lists the functions of minigrad that already compute the part's answer
(as "file:qualified name", or "file:*" for a whole file): an answer that calls one of them is
flagged for the teacher, not failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minigrad.course.grading.parts import ch1, ch2, ch3, ch4, ch5, ch6, ch7, ch8, demo


@dataclass(frozen=True)
class Part:
    """One graded part: its points, the function that checks an answer, the name of the
    learner's function in the exercise, and minigrad's functions that compute it already."""

    points: int
    check: Callable[[Any], None]
    function: str
    references: tuple[str, ...] = ()


# The LSTM cell's own step, and the fused kernels it runs on
LSTM_REFERENCES = (
    "recurrent.py:LSTMCell.step",
    "recurrent.py:LSTMCell.forward",
    "fused.py:*",
)

PARTS: dict[str, Part] = {
    "demo.square": Part(1, demo.check_demo_square, "square"),
    "demo.sigmoid": Part(2, demo.check_demo_sigmoid, "sigmoid", ("tensor.py:sigmoid",)),
    "demo.outer": Part(2, demo.check_demo_outer, "outer"),
    # 1. scalar autograd
    "scalar.mul": Part(1, ch1.check_scalar_mul, "mul_local_grads", ("scalar.py:Value.__mul__",)),
    "scalar.tanh": Part(1, ch1.check_scalar_tanh, "tanh_local_grad", ("scalar.py:Value.tanh",)),
    "scalar.exp": Part(1, ch1.check_scalar_exp, "exp_local_grad", ("scalar.py:Value.exp",)),
    "scalar.topological_order": Part(
        2,
        ch1.check_scalar_topological_order,
        "topological_order",
        ("autograd.py:topological_order",),
    ),
    "scalar.backward": Part(
        3, ch1.check_scalar_backward, "backward", ("scalar.py:Value.backward",)
    ),
    # 2. tensors
    "tensors.unbroadcast": Part(
        2, ch2.check_tensors_unbroadcast, "unbroadcast", ("tensor.py:unbroadcast",)
    ),
    "tensors.mul_backward": Part(
        1, ch2.check_tensors_mul_backward, "mul_backward", ("tensor.py:Tensor.backward",)
    ),
    "tensors.matmul_backward": Part(
        2, ch2.check_tensors_matmul_backward, "matmul_backward", ("tensor.py:Tensor.backward",)
    ),
    "tensors.softmax_backward": Part(
        2, ch2.check_tensors_softmax_backward, "softmax_backward", ("tensor.py:Tensor.backward",)
    ),
    "tensors.sum_backward": Part(
        2, ch2.check_tensors_sum_backward, "sum_backward", ("tensor.py:Tensor.backward",)
    ),
    "tensors.cross_entropy_backward": Part(
        2,
        ch2.check_tensors_cross_entropy_backward,
        "cross_entropy_backward",
        ("tensor.py:Tensor.backward", "functional.py:cross_entropy"),
    ),
    "tensors.adam_update": Part(3, ch2.check_tensors_adam_update, "adam_update", ("optim.py:*",)),
    # 3. the RNN and backpropagation through time
    "rnn.cell": Part(1, ch3.check_rnn_cell, "rnn_cell", ("recurrent.py:RNNCell.forward",)),
    "rnn.forward": Part(
        1, ch3.check_rnn_forward, "rnn_forward", ("recurrent.py:_SequenceLayer.forward",)
    ),
    "rnn.bptt_hidden": Part(
        3, ch3.check_rnn_bptt_hidden, "bptt_hidden_grads", ("tensor.py:Tensor.backward",)
    ),
    "rnn.bptt_weight": Part(
        2, ch3.check_rnn_bptt_weight, "bptt_weight_grad", ("tensor.py:Tensor.backward",)
    ),
    # 4. the vanishing and exploding gradient
    "vanishing.grad_norms": Part(2, ch4.check_vanishing_grad_norms, "hidden_grad_norms"),
    "vanishing.jacobian": Part(
        2, ch4.check_vanishing_jacobian, "rnn_jacobian", ("tensor.py:Tensor.backward",)
    ),
    "vanishing.bound": Part(1, ch4.check_vanishing_bound, "gradient_bound"),
    "vanishing.clip_grad_norm": Part(
        2, ch4.check_vanishing_clip_grad_norm, "clip_grad_norm_", ("optim.py:clip_grad_norm_",)
    ),
    # 5. the LSTM cell
    "lstm.preactivation": Part(
        2, ch5.check_lstm_preactivation, "gate_preactivation", LSTM_REFERENCES
    ),
    "lstm.gates": Part(3, ch5.check_lstm_gates, "lstm_gates", LSTM_REFERENCES),
    "lstm.step": Part(2, ch5.check_lstm_step, "lstm_step", LSTM_REFERENCES),
    "lstm.cell_update_backward": Part(
        3,
        ch5.check_lstm_cell_update_backward,
        "cell_update_backward",
        (*LSTM_REFERENCES, "tensor.py:Tensor.backward"),
    ),
    "lstm.gates_backward": Part(
        2,
        ch5.check_lstm_gates_backward,
        "gates_backward",
        (*LSTM_REFERENCES, "tensor.py:Tensor.backward"),
    ),
    # 6. constant error flow
    "carousel.run_lstm": Part(
        1, ch6.check_carousel_run_lstm, "run_lstm", ("recurrent.py:_SequenceLayer.forward",)
    ),
    "carousel.cell_grads": Part(
        2, ch6.check_carousel_cell_grads, "cell_state_grads", ("tensor.py:Tensor.backward",)
    ),
    "carousel.forget_bias": Part(
        1, ch6.check_carousel_forget_bias, "add_forget_bias", ("recurrent.py:LSTMCell.__init__",)
    ),
    # 7. long-range tasks
    "tasks.adding_problem": Part(
        2, ch7.check_tasks_adding_problem, "adding_problem", ("tasks.py:adding_problem",)
    ),
    "tasks.temporal_order": Part(
        1,
        ch7.check_tasks_temporal_order,
        "temporal_order_label",
        ("tasks.py:temporal_order_label",),
    ),
    "tasks.train_step": Part(3, ch7.check_tasks_train_step, "train_step", ("train.py:*",)),
    # 8. an LSTM on text
    "text.unigram_entropy": Part(
        1, ch8.check_text_unigram_entropy, "unigram_entropy", ("text.py:unigram_entropy",)
    ),
    "text.sample_char": Part(
        2, ch8.check_text_sample_char, "sample_char", ("text.py:sample_index", "text.py:sample")
    ),
    "text.stream_windows": Part(
        2, ch8.check_text_stream_windows, "stream_windows", ("text.py:stream_windows",)
    ),
    "text.detach_state": Part(
        1, ch8.check_text_detach_state, "detach_state", ("text.py:detach_state",)
    ),
}

# Each course notebook, by its file name, and the parts it is graded on, in order.
NOTEBOOKS: dict[str, tuple[str, ...]] = {
    "01_scalar_autograd.ipynb": (
        "scalar.mul",
        "scalar.tanh",
        "scalar.exp",
        "scalar.topological_order",
        "scalar.backward",
    ),
    "02_tensors.ipynb": (
        "tensors.unbroadcast",
        "tensors.mul_backward",
        "tensors.matmul_backward",
        "tensors.softmax_backward",
        "tensors.sum_backward",
        "tensors.cross_entropy_backward",
        "tensors.adam_update",
    ),
    "03_rnn_bptt.ipynb": ("rnn.cell", "rnn.forward", "rnn.bptt_hidden", "rnn.bptt_weight"),
    "04_vanishing_gradient.ipynb": (
        "vanishing.grad_norms",
        "vanishing.jacobian",
        "vanishing.bound",
        "vanishing.clip_grad_norm",
    ),
    "05_lstm_cell.ipynb": (
        "lstm.preactivation",
        "lstm.gates",
        "lstm.step",
        "lstm.cell_update_backward",
        "lstm.gates_backward",
    ),
    "06_constant_error_flow.ipynb": (
        "carousel.run_lstm",
        "carousel.cell_grads",
        "carousel.forget_bias",
    ),
    "07_long_range_tasks.ipynb": (
        "tasks.adding_problem",
        "tasks.temporal_order",
        "tasks.train_step",
    ),
    "08_lstm_on_text.ipynb": (
        "text.unigram_entropy",
        "text.sample_char",
        "text.stream_windows",
        "text.detach_state",
    ),
}

# The demo parts as a notebook of their own: never part of the course's grade, only of the
# grader's tests, which pass this table to the grader in place of NOTEBOOKS.
DEMO_NOTEBOOKS: dict[str, tuple[str, ...]] = {
    "demo.ipynb": ("demo.square", "demo.sigmoid", "demo.outer"),
}
