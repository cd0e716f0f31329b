"""The exercises' checks: each passes a right answer and rejects plausible wrong ones, saying why.

The first part runs the checking functions in-process (fast, no kernel). The last part grades
the exercise and solution notebooks with the real grader, once per folder: the solutions get
full marks, the blank exercises zero, and both run top to bottom.
"""

from __future__ import annotations

import importlib.util
import json
import math
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest
from course import EXERCISE_CHAPTERS

import minigrad
from minigrad import Tensor
from minigrad.autograd import topological_order
from minigrad.course import text
from minigrad.course.grading import grader
from minigrad.course.grading.check import run_check
from minigrad.course.grading.expect import fresh_inputs
from minigrad.course.grading.manifest import NOTEBOOKS, PARTS
from minigrad.nn import functional as F
from minigrad.tensor import softmax

ROOT = Path(__file__).resolve().parent.parent


def passes(part: str, answer) -> None:
    result = run_check(part, answer)
    assert result.message == "passed", result.message
    assert result.points == PARTS[part].points


def fails(part: str, answer, *fragments: str) -> str:
    """Check that `answer` gets 0 points with a message holding every fragment."""
    result = run_check(part, answer)
    assert result.points == 0, f"{part} passed a wrong answer"
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result.message


# ----------------------------------------------------------------------------------------------
# 1. scalar autograd
# ----------------------------------------------------------------------------------------------


def mul_local_grads(a, b):
    return b, a


def tanh_local_grad(x):
    return 1 - math.tanh(x) ** 2


def exp_local_grad(x):
    return math.exp(x)


def scalar_backward(root):
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for parent, local_grad in zip(node._parents, node._local_grads):
            parent.grad += local_grad * node.grad


def test_scalar_mul_passes_the_product_rule():
    passes("scalar.mul", mul_local_grads)


def test_scalar_mul_names_swapped_slopes():
    fails("scalar.mul", lambda a, b: (a, b), "got 2, expected -3", "the other factor, b")


def test_scalar_mul_asks_for_a_pair():
    fails("scalar.mul", lambda a, b: b, "should return a pair", "got a float")


def test_scalar_tanh_passes():
    passes("scalar.tanh", tanh_local_grad)


def test_scalar_tanh_rejects_an_unsquared_tanh():
    fails("scalar.tanh", lambda x: 1 - math.tanh(x), "must be squared", "x = 0.5")


def test_scalar_tanh_rejects_the_slope_of_the_sigmoid():
    def sigmoid_slope(x):
        s = 1 / (1 + math.exp(-x))
        return s * (1 - s)

    fails("scalar.tanh", sigmoid_slope, "slope of the sigmoid")


def test_scalar_exp_passes_and_rejects_the_power_rule():
    passes("scalar.exp", exp_local_grad)
    fails("scalar.exp", lambda x: x * math.exp(x - 1), "power rule")


def test_scalar_topological_order_passes():
    passes("scalar.topological_order", topological_order)


def test_topological_order_names_a_node_listed_twice():
    def no_visited_set(root):
        order, stack = [], [(root, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((parent, False) for parent in node._parents)
        return order

    fails("scalar.topological_order", no_visited_set, "twice", "set of the nodes")


def test_topological_order_names_the_reversed_order():
    fails(
        "scalar.topological_order",
        lambda root: topological_order(root)[::-1],
        "should end with the root",
        "parents first and the root last",
    )


def test_topological_order_rejects_a_node_before_its_parent():
    def appended_when_reached(root):
        order, visited, stack = [], set(), [root]
        while stack:
            node = stack.pop()
            if node in visited:
                continue
            visited.add(node)
            order.append(node)
            stack.extend(node._parents)
        return order[::-1]

    fails("scalar.topological_order", appended_when_reached, "before its", "parent")


def test_topological_order_names_the_recursion_limit():
    def recursive(root):
        order, visited = [], set()

        def visit(node):
            if node in visited:
                return
            visited.add(node)
            for parent in node._parents:
                visit(parent)
            order.append(node)

        visit(root)
        return order

    fails("scalar.topological_order", recursive, "recursion limit", "stack of your own")


def test_topological_order_names_a_missing_node():
    fails("scalar.topological_order", lambda root: topological_order(root)[1:], "is missing")


def test_scalar_backward_passes():
    passes("scalar.backward", scalar_backward)


def test_scalar_backward_rejects_assignment_instead_of_accumulation():
    def overwrites(root):
        root.grad = 1.0
        for node in reversed(topological_order(root)):
            for parent, local_grad in zip(node._parents, node._local_grads):
                parent.grad = local_grad * node.grad

    fails("scalar.backward", overwrites, ".grad", "+=")


def test_scalar_backward_rejects_the_wrong_direction():
    def forwards(root):
        root.grad = 1.0
        for node in topological_order(root):
            for parent, local_grad in zip(node._parents, node._local_grads):
                parent.grad += local_grad * node.grad

    fails("scalar.backward", forwards, "still 0")


def test_scalar_backward_rejects_a_missing_seed():
    def no_seed(root):
        for node in reversed(topological_order(root)):
            for parent, local_grad in zip(node._parents, node._local_grads):
                parent.grad += local_grad * node.grad

    fails("scalar.backward", no_seed, "root.grad is wrong", "root.grad = 1.0")


def test_scalar_backward_names_the_recursion_limit():
    def recursive(root):
        root.grad = 1.0

        def visit(node):
            for parent, local_grad in zip(node._parents, node._local_grads):
                parent.grad += local_grad * node.grad
                visit(parent)

        visit(root)

    # right on trees only, and too deep for the chain of 1500 operations
    message = fails("scalar.backward", recursive)
    assert "recursion limit" in message or ".grad" in message


# ----------------------------------------------------------------------------------------------
# 2. tensors
# ----------------------------------------------------------------------------------------------


def unbroadcast(grad, shape):
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1)
    return grad.sum(axis=stretched, keepdims=True)


def mul_backward(a, b, grad):
    return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)


def matmul_backward(A, B, grad):
    return grad @ B.T, A.T @ grad


def softmax_backward(s, grad):
    return s * (grad - (grad * s).sum(axis=-1, keepdims=True))


def sum_backward(grad, shape, axis, keepdims):
    if axis is not None and not keepdims:
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad, shape).copy()


def cross_entropy_backward(logits, targets):
    s = softmax(logits)
    s[np.arange(len(targets)), targets] -= 1.0
    return s / len(targets)


def adam_update(param, grad, m, v, t, lr, betas, eps):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def test_sum_backward_names_the_missing_expand_dims():
    fails(
        "tensors.sum_backward",
        lambda grad, shape, axis, keepdims: np.broadcast_to(grad, shape).copy(),
        "np.expand_dims(grad, axis)",
    )


def test_sum_backward_rejects_the_mean():
    def mean_backward(grad, shape, axis, keepdims):
        n = np.prod(shape) if axis is None else shape[axis]
        return sum_backward(grad, shape, axis, keepdims) / n

    fails("tensors.sum_backward", mean_backward, "backward of mean")


def test_sum_backward_asks_for_the_shape_of_x():
    fails("tensors.sum_backward", lambda grad, shape, axis, keepdims: grad, "shape")


def test_cross_entropy_backward_names_the_missing_mean():
    fails(
        "tensors.cross_entropy_backward",
        lambda z, y: cross_entropy_backward(z, y) * len(y),
        "divide (softmax - onehot) by B",
    )


def test_cross_entropy_backward_names_the_flipped_sign():
    fails(
        "tensors.cross_entropy_backward",
        lambda z, y: -cross_entropy_backward(z, y),
        "sign is flipped",
    )


def test_cross_entropy_backward_names_the_missing_onehot():
    fails("tensors.cross_entropy_backward", lambda z, y: softmax(z) / len(y), "-1 at each row")


def test_cross_entropy_backward_names_the_overflow():
    def unstable(logits, targets):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(logits)
            s = e / e.sum(axis=1, keepdims=True)
        s[np.arange(len(targets)), targets] -= 1.0
        return s / len(targets)

    fails("tensors.cross_entropy_backward", unstable, "overflow")


def test_adam_update_names_the_missing_bias_correction():
    def uncorrected(param, grad, m, v, t, lr, betas, eps):
        _, m, v = adam_update(param, grad, m, v, t, lr, betas, eps)
        return param - lr * m / (np.sqrt(v) + eps), m, v

    fails("tensors.adam_update", uncorrected, "bias correction is missing")


def test_adam_update_names_the_unsquared_gradient():
    def unsquared(param, grad, m, v, t, lr, betas, eps):
        beta2 = betas[1]
        new_param, m, _ = adam_update(param, grad, m, v, t, lr, betas, eps)
        return new_param, m, beta2 * v + (1 - beta2) * grad

    fails("tensors.adam_update", unsquared, "squared gradient")


def test_adam_update_names_eps_in_the_root():
    def eps_inside(param, grad, m, v, t, lr, betas, eps):
        beta1, beta2 = betas
        _, m, v = adam_update(param, grad, m, v, t, lr, betas, eps)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return param - lr * m_hat / np.sqrt(v_hat + eps), m, v

    fails("tensors.adam_update", eps_inside, "outside the square root")


def test_adam_update_names_a_step_count_from_zero():
    def from_zero(param, grad, m, v, t, lr, betas, eps):
        with np.errstate(divide="ignore", invalid="ignore"):
            return adam_update(param, grad, m, v, t - 1, lr, betas, eps)

    fails("tensors.adam_update", from_zero, "t counts from 1")


def test_tensors_parts_pass_right_answers():
    passes("tensors.sum_backward", sum_backward)
    passes("tensors.cross_entropy_backward", cross_entropy_backward)
    passes("tensors.adam_update", adam_update)
    passes("tensors.unbroadcast", unbroadcast)
    passes("tensors.mul_backward", mul_backward)
    passes("tensors.matmul_backward", matmul_backward)
    passes("tensors.softmax_backward", softmax_backward)


def test_unbroadcast_rejects_dropping_the_size_one_axes():
    def no_keepdims(grad, shape):
        grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1)
        return grad.sum(axis=stretched)

    fails("tensors.unbroadcast", no_keepdims, "expected an array of shape (4, 1)", "keepdims")


def test_unbroadcast_rejects_summing_the_leading_axes_only():
    def leading_only(grad, shape):
        return grad.sum(axis=tuple(range(grad.ndim - len(shape))))

    fails("tensors.unbroadcast", leading_only, "shape (4, 3), expected an array of shape (4, 1)")


def test_mul_backward_rejects_a_missing_unbroadcast():
    def no_unbroadcast(a, b, grad):
        return grad * b, grad * a

    fails(
        "tensors.mul_backward", no_unbroadcast, "grad_a is an array of shape (3, 4)", "unbroadcast"
    )


def test_matmul_backward_rejects_a_transposed_gradient():
    fails(
        "tensors.matmul_backward",
        lambda A, B, grad: (grad @ B.T, grad.T @ A),
        "grad_B is an array of shape (4, 3), expected an array of shape (3, 4)",
        "transposed",
    )


def test_softmax_backward_rejects_the_diagonal_only():
    fails("tensors.softmax_backward", lambda s, grad: s * (1 - s) * grad, "diagonal")


def test_softmax_backward_rejects_a_sum_without_keepdims():
    def flat_sum(s, grad):
        total = (grad * s).sum(axis=-1)
        if s.shape[0] != s.shape[1]:
            total = total[:, None]  # a learner who patched the shape error for this case only
        return s * (grad - total)

    fails("tensors.softmax_backward", flat_sum, "keepdims=True")


def test_a_backward_that_breaks_the_gradient_is_caught_by_gradcheck():
    calls = []

    def right_then_wrong(A, B, grad):
        calls.append(1)
        if len(calls) <= 2:  # the two direct comparisons see the right rule
            return grad @ B.T, A.T @ grad
        return 2 * grad @ B.T, A.T @ grad

    fails(
        "tensors.matmul_backward",
        right_then_wrong,
        "disagrees with finite differences",
        "anything besides its arguments",
    )


# ----------------------------------------------------------------------------------------------
# 3. RNN and BPTT
# ----------------------------------------------------------------------------------------------


def rnn_cell(x, h, cell):
    return (x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh).tanh()


def rnn_forward(cell, x, h0=None):
    h, states = h0, []
    for t in range(x.shape[0]):
        h = cell(x[t], h)
        states.append(h)
    return minigrad.stack(states)


def bptt_hidden_grads(hs, weight_hh, grad_h_last):
    grads = np.zeros_like(hs)
    grads[-1] = grad_h_last
    for t in range(len(hs) - 1, 0, -1):
        grads[t - 1] = (grads[t] * (1 - hs[t] ** 2)) @ weight_hh
    return grads


def bptt_weight_grad(hs, weight_hh, grad_h_last):
    grads = bptt_hidden_grads(hs, weight_hh, grad_h_last)
    d_pre = grads[1:] * (1 - hs[1:] ** 2)
    return sum(d_pre[t].T @ hs[t] for t in range(len(d_pre)))


def test_rnn_parts_pass_right_answers():
    passes("rnn.cell", rnn_cell)
    passes("rnn.forward", rnn_forward)
    passes("rnn.bptt_hidden", bptt_hidden_grads)
    passes("rnn.bptt_weight", bptt_weight_grad)


def test_rnn_cell_rejects_a_sigmoid_where_tanh_belongs():
    def sigmoid_cell(x, h, cell):
        return (x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh).sigmoid()

    fails("rnn.cell", sigmoid_cell, "sigmoid of the sum", "uses tanh")


def test_rnn_cell_rejects_numpy_that_cuts_the_graph():
    def numpy_cell(x, h, cell):
        pre = x.data @ cell.weight_ih.data.T + h.data @ cell.weight_hh.data.T
        return np.tanh(pre + cell.bias_ih.data + cell.bias_hh.data)

    fails("rnn.cell", numpy_cell, "should return a minigrad Tensor", "numpy array")


def test_rnn_cell_rejects_a_tensor_rebuilt_from_numpy():
    def rewrapped(x, h, cell):
        return Tensor(rnn_cell(x, h, cell).data, requires_grad=True)

    fails("rnn.cell", rewrapped, "finite differences")


def test_rnn_forward_rejects_states_one_step_late():
    def late(cell, x, h0=None):
        states = [h0 if h0 is not None else minigrad.zeros(x.shape[1], cell.hidden_size)]
        for t in range(x.shape[0] - 1):
            states.append(cell(x[t], states[-1]))
        return minigrad.stack(states)

    fails("rnn.forward", late, "one step late")


def test_rnn_forward_rejects_h0_among_the_outputs():
    def with_h0(cell, x, h0=None):
        states = [h0 if h0 is not None else minigrad.zeros(x.shape[1], cell.hidden_size)]
        for t in range(x.shape[0]):
            states.append(cell(x[t], states[-1]))
        return minigrad.stack(states)

    fails("rnn.forward", with_h0, "expected an array of shape (5, 2, 4)", "not an output")


def test_bptt_hidden_rejects_an_off_by_one_in_time():
    def off_by_one(hs, weight_hh, grad_h_last):
        grads = np.zeros_like(hs)
        grads[-1] = grad_h_last
        for t in range(len(hs) - 1, 0, -1):
            grads[t - 1] = (grads[t] * (1 - hs[t - 1] ** 2)) @ weight_hh
        return grads

    fails("rnn.bptt_hidden", off_by_one, "Off by one step", "1 - h_t^2")


def test_bptt_hidden_rejects_a_transposed_weight():
    def transposed(hs, weight_hh, grad_h_last):
        return bptt_hidden_grads(hs, weight_hh.T, grad_h_last)

    fails("rnn.bptt_hidden", transposed, "W_hh is transposed")


def test_bptt_hidden_asks_for_dl_dh0_too():
    fails(
        "rnn.bptt_hidden",
        lambda hs, w, g: bptt_hidden_grads(hs, w, g)[1:],
        "expected an array of shape (7, 2, 4)",
    )


def test_bptt_weight_rejects_an_off_by_one_in_time():
    def off_by_one(hs, weight_hh, grad_h_last):
        grads = bptt_hidden_grads(hs, weight_hh, grad_h_last)
        d_pre = grads[1:] * (1 - hs[1:] ** 2)
        return sum(d_pre[t].T @ hs[t + 1] for t in range(len(d_pre)))

    fails("rnn.bptt_weight", off_by_one, "Off by one step", "h_{t-1}")


def test_bptt_weight_rejects_a_transposed_gradient():
    fails("rnn.bptt_weight", lambda hs, w, g: bptt_weight_grad(hs, w, g).T, "matrix is transposed")


# ----------------------------------------------------------------------------------------------
# 4. vanishing gradient
# ----------------------------------------------------------------------------------------------


def hidden_grad_norms(cell, x):
    h, states = None, []
    for t in range(x.shape[0]):
        h = cell(x[t], h)
        states.append(h)
    states[-1].sum().backward()
    return np.array([np.linalg.norm(s.grad) for s in states])


def rnn_jacobian(h_next, weight_hh):
    return np.diag(1 - h_next**2) @ weight_hh


def gradient_bound(weight_hh, steps):
    return np.linalg.norm(weight_hh, ord=2) ** steps


def clip_grad_norm_(params, max_norm):
    grads = [p for p in params if p.grad is not None]
    total = math.sqrt(sum(float((p.grad**2).sum()) for p in grads))
    if total > max_norm:
        for p in grads:
            p.grad = p.grad * (max_norm / total)
    return total


def test_vanishing_parts_pass_right_answers():
    passes("vanishing.grad_norms", hidden_grad_norms)
    passes("vanishing.jacobian", rnn_jacobian)
    passes("vanishing.bound", gradient_bound)
    passes("vanishing.clip_grad_norm", clip_grad_norm_)


def test_grad_norms_rejects_the_reversed_order():
    fails("vanishing.grad_norms", lambda cell, x: hidden_grad_norms(cell, x)[::-1], "backwards")


def test_jacobian_rejects_scaled_columns():
    fails(
        "vanishing.jacobian",
        lambda h, w: w @ np.diag(1 - h**2),
        "scaled the columns",
        "h_next = ",
    )


def test_jacobian_rejects_a_transposed_weight():
    fails("vanishing.jacobian", lambda h, w: np.diag(1 - h**2) @ w.T, "transposed")


def test_bound_rejects_the_spectral_radius():
    def spectral_radius_power(w, steps):
        return np.abs(np.linalg.eigvals(w)).max() ** steps

    fails("vanishing.bound", spectral_radius_power, "is no bound", "spectral radius")


def test_clip_rejects_clipping_each_gradient_on_its_own():
    def per_tensor(params, max_norm):
        total = math.sqrt(sum(float((p.grad**2).sum()) for p in params if p.grad is not None))
        for p in params:
            if p.grad is not None:
                norm = np.linalg.norm(p.grad)
                p.grad = p.grad * min(1.0, max_norm / norm)
        return total

    fails("vanishing.clip_grad_norm", per_tensor, "each gradient by its own norm")


def test_clip_rejects_clipping_each_entry():
    def per_entry(params, max_norm):
        total = math.sqrt(sum(float((p.grad**2).sum()) for p in params if p.grad is not None))
        for p in params:
            if p.grad is not None:
                p.grad = np.clip(p.grad, -max_norm, max_norm)
        return total

    fails("vanishing.clip_grad_norm", per_entry, "each entry")


def test_clip_asks_to_skip_parameters_without_a_gradient():
    def trips_on_none(params, max_norm):
        total = math.sqrt(sum(float((p.grad**2).sum()) for p in params))
        for p in params:
            p.grad = p.grad * min(1.0, max_norm / total)
        return total

    fails("vanishing.clip_grad_norm", trips_on_none, ".grad None")


def test_clip_rejects_returning_the_norm_after_clipping():
    def after(params, max_norm):
        clip_grad_norm_(params, max_norm)
        return min(max_norm, clip_grad_norm_(params, max_norm))

    fails("vanishing.clip_grad_norm", after, "norm before")


# ----------------------------------------------------------------------------------------------
# 5. the LSTM cell
# ----------------------------------------------------------------------------------------------


def gate_preactivation(x, h, cell, k):
    H = cell.hidden_size
    rows = slice(k * H, (k + 1) * H)
    return (
        x @ cell.weight_ih[rows].T
        + cell.bias_ih[rows]
        + h @ cell.weight_hh[rows].T
        + cell.bias_hh[rows]
    )


def input_gate(x, h, cell):
    return gate_preactivation(x, h, cell, 0).sigmoid()


def forget_gate(x, h, cell):
    return gate_preactivation(x, h, cell, 1).sigmoid()


def candidate(x, h, cell):
    return gate_preactivation(x, h, cell, 2).tanh()


def output_gate(x, h, cell):
    return gate_preactivation(x, h, cell, 3).sigmoid()


def lstm_gates(x, h, cell):
    return (
        input_gate(x, h, cell),
        forget_gate(x, h, cell),
        candidate(x, h, cell),
        output_gate(x, h, cell),
    )


def lstm_step(x, h, c, cell):
    c_new = forget_gate(x, h, cell) * c + input_gate(x, h, cell) * candidate(x, h, cell)
    return output_gate(x, h, cell) * c_new.tanh(), c_new


def cell_update_backward(c, i, f, g, o, grad_h, grad_c):
    tanh_c = np.tanh(f * c + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c**2)
    return dc * f, dc * g, dc * c, dc * i, grad_h * tanh_c


def gates_backward(i, f, g, o, grad_i, grad_f, grad_g, grad_o):
    return np.concatenate(
        [grad_i * i * (1 - i), grad_f * f * (1 - f), grad_g * (1 - g * g), grad_o * o * (1 - o)],
        axis=1,
    )


def test_lstm_parts_pass_right_answers():
    passes("lstm.preactivation", gate_preactivation)
    passes("lstm.gates", lstm_gates)
    passes("lstm.step", lstm_step)
    passes("lstm.cell_update_backward", cell_update_backward)
    passes("lstm.gates_backward", gates_backward)


def test_gates_asks_for_four_gates():
    fails("lstm.gates", lambda x, h, cell: lstm_gates(x, h, cell)[:3], "four gates")


def test_gates_rejects_a_tanh_where_a_sigmoid_belongs():
    def tanh_forget(x, h, cell):
        i, _, g, o = lstm_gates(x, h, cell)
        return i, gate_preactivation(x, h, cell, 1).tanh(), g, o

    fails("lstm.gates", tanh_forget, "forget gate", "should lie in [0, 1], but is -")


def test_gates_rejects_the_input_gates_block_for_the_forget_gate():
    def two_inputs(x, h, cell):
        i, _, g, o = lstm_gates(x, h, cell)
        return i, input_gate(x, h, cell), g, o

    fails("lstm.gates", two_inputs, "sigmoid of the input gate's block (k = 0)")


def test_gates_rejects_a_sigmoid_candidate():
    def sigmoid_candidate(x, h, cell):
        i, f, _, o = lstm_gates(x, h, cell)
        return i, f, gate_preactivation(x, h, cell, 2).sigmoid(), o

    fails("lstm.gates", sigmoid_candidate, "sigmoid of the right block", "tanh of block k = 2")


def test_gates_rejects_the_candidates_block_for_the_output_gate():
    def wrong_output(x, h, cell):
        i, f, g, _ = lstm_gates(x, h, cell)
        return i, f, g, gate_preactivation(x, h, cell, 2).sigmoid()

    fails("lstm.gates", wrong_output, "candidate's block")


def test_cell_update_backward_names_the_missing_direct_gradient():
    def no_grad_c(c, i, f, g, o, grad_h, grad_c):
        return cell_update_backward(c, i, f, g, o, grad_h, np.zeros_like(grad_c))

    fails("lstm.cell_update_backward", no_grad_c, "grad_c, is missing")


def test_cell_update_backward_names_the_missing_path_through_h():
    def no_h(c, i, f, g, o, grad_h, grad_c):
        return cell_update_backward(c, i, f, g, o, np.zeros_like(grad_h), grad_c)

    fails("lstm.cell_update_backward", no_h, "path through h' is missing")


def test_cell_update_backward_names_the_slope_at_the_old_state():
    def old_state(c, i, f, g, o, grad_h, grad_c):
        dc = grad_c + grad_h * o * (1 - np.tanh(c) ** 2)
        return dc * f, dc * g, dc * c, dc * i, grad_h * np.tanh(f * c + i * g)

    fails("lstm.cell_update_backward", old_state, "reads the new cell state")


def test_cell_update_backward_names_the_missing_forget_factor():
    def no_f(c, i, f, g, o, grad_h, grad_c):
        grads = cell_update_backward(c, i, f, g, o, grad_h, grad_c)
        return (grads[0] / f, *grads[1:])

    fails("lstm.cell_update_backward", no_f, "grad_c, item 0", "factor f is missing")


def test_cell_update_backward_names_do_from_the_old_state():
    def old_o(c, i, f, g, o, grad_h, grad_c):
        grads = cell_update_backward(c, i, f, g, o, grad_h, grad_c)
        return (*grads[:4], grad_h * np.tanh(c))

    fails("lstm.cell_update_backward", old_o, "grad_o, item 4", "not tanh(c)")


def test_gates_backward_names_a_sigmoid_slope_for_the_candidate():
    def all_sigmoid(i, f, g, o, grad_i, grad_f, grad_g, grad_o):
        result = gates_backward(i, f, g, o, grad_i, grad_f, grad_g, grad_o)
        H = g.shape[1]
        result[:, 2 * H : 3 * H] = grad_g * g * (1 - g)
        return result

    fails("lstm.gates_backward", all_sigmoid, "candidate g is a tanh")


def test_gates_backward_names_the_slope_of_the_activation_of_the_activation():
    def twice(i, f, g, o, grad_i, grad_f, grad_g, grad_o):
        s = [1 / (1 + np.exp(-a)) for a in (i, f, o)]
        return np.concatenate(
            [grad_i * s[0] * (1 - s[0]), grad_f * s[1] * (1 - s[1])]
            + [grad_g * (1 - np.tanh(g) ** 2), grad_o * s[2] * (1 - s[2])],
            axis=1,
        )

    fails("lstm.gates_backward", twice, "already the activations")


def test_gates_backward_names_the_missing_upstream_gradient():
    def slopes_only(i, f, g, o, *grads):
        return gates_backward(i, f, g, o, *(np.ones_like(a) for a in grads))

    fails("lstm.gates_backward", slopes_only, "upstream gradient")


def test_gates_backward_asks_for_the_blocks_side_by_side():
    fails(
        "lstm.gates_backward",
        lambda *args: np.stack(np.split(gates_backward(*args), 4, axis=1)),
        "np.concatenate",
    )


def test_preactivation_rejects_the_wrong_block():
    fails(
        "lstm.preactivation",
        lambda x, h, cell, k: gate_preactivation(x, h, cell, (k + 1) % 4),
        "That is block 1",
        "rows k*H to (k+1)*H - 1 = 0 to 3",
    )


def test_lstm_step_rejects_a_forget_gate_applied_to_h():
    def forgets_h(x, h, c, cell):
        c_new = forget_gate(x, h, cell) * h + input_gate(x, h, cell) * candidate(x, h, cell)
        return output_gate(x, h, cell) * c_new.tanh(), c_new

    fails("lstm.step", forgets_h, "c_new is wrong", "forget gate is applied to h")


def test_lstm_step_rejects_a_missing_tanh():
    def no_tanh(x, h, c, cell):
        _, c_new = lstm_step(x, h, c, cell)
        return output_gate(x, h, cell) * c_new, c_new

    fails("lstm.step", no_tanh, "h_new is wrong", "tanh is missing")


def test_lstm_step_notices_swapped_outputs():
    fails("lstm.step", lambda x, h, c, cell: lstm_step(x, h, c, cell)[::-1], "order is (h', c')")


# ----------------------------------------------------------------------------------------------
# 6. constant error flow
# ----------------------------------------------------------------------------------------------


def run_lstm(cell, x, h0, c0):
    h, cell_states, forget_gates = h0, [c0], []
    for t in range(x.shape[0]):
        h, c, gates = cell.step(x[t], (h, cell_states[-1]))
        cell_states.append(c)
        forget_gates.append(gates.forget)
    return cell_states, forget_gates


def cell_state_grads(forget_gates):
    grads = np.ones((len(forget_gates) + 1, *forget_gates.shape[1:]))
    for k in range(len(forget_gates) - 1, -1, -1):
        grads[k] = grads[k + 1] * forget_gates[k]
    return grads


def add_forget_bias(cell, value):
    H = cell.hidden_size
    cell.bias_ih.data[H : 2 * H] += value


def test_carousel_parts_pass_right_answers():
    passes("carousel.run_lstm", run_lstm)
    passes("carousel.cell_grads", cell_state_grads)
    passes("carousel.forget_bias", add_forget_bias)


def test_run_lstm_asks_for_c0_in_the_cell_states():
    fails(
        "carousel.run_lstm",
        lambda cell, x, h0, c0: (run_lstm(cell, x, h0, c0)[0][1:], run_lstm(cell, x, h0, c0)[1]),
        "has 5 entries",
        "expected 6",
    )


def test_run_lstm_wants_the_tensors_themselves():
    def stacked(cell, x, h0, c0):
        cell_states, forget_gates = run_lstm(cell, x, h0, c0)
        return minigrad.stack(cell_states), forget_gates

    fails("carousel.run_lstm", stacked, "should be a list of Tensors")


def test_run_lstm_wants_the_graph_connected_to_c0():
    def copies_c0(cell, x, h0, c0):
        return run_lstm(cell, x, h0, Tensor(c0.data.copy(), requires_grad=True))

    fails("carousel.run_lstm", copies_c0, "No gradient reached c0", "not a copy")


def test_cell_grads_rejects_an_off_by_one_in_time():
    def off_by_one(forget_gates):
        grads = np.ones((len(forget_gates) + 1, *forget_gates.shape[1:]))
        for k in range(len(forget_gates) - 1, -1, -1):
            grads[k] = grads[k + 1] * forget_gates[k - 1]
        return grads

    fails("carousel.cell_grads", off_by_one, "Off by one step", "f_{k+1}")


def test_cell_grads_asks_for_the_last_entry():
    fails(
        "carousel.cell_grads",
        lambda f: cell_state_grads(f)[:-1],
        "expected an array of shape (9, 2, 3)",
    )


def test_forget_bias_rejects_the_input_gates_block():
    def input_block(cell, value):
        cell.bias_ih.data[: cell.hidden_size] += value

    fails("carousel.forget_bias", input_block, "entries 0 to 3", "4 to 7")


def test_forget_bias_rejects_a_new_tensor():
    def replaces(cell, value):
        H = cell.hidden_size
        bias = cell.bias_ih.data.copy()
        bias[H : 2 * H] += value
        cell.bias_ih = Tensor(bias, requires_grad=True)

    fails("carousel.forget_bias", replaces, "replaced by a new tensor")


def test_forget_bias_rejects_adding_to_both_biases():
    def both(cell, value):
        add_forget_bias(cell, value)
        cell.bias_hh.data[cell.hidden_size : 2 * cell.hidden_size] += value

    fails("carousel.forget_bias", both, "bias_hh stays")


# ----------------------------------------------------------------------------------------------
# 7. long-range tasks
# ----------------------------------------------------------------------------------------------


def adding_problem(batch_size, seq_len, rng=None, first_start=0):
    """A correct generator; first_start > 0 makes one that never marks the first steps."""
    rng = np.random.default_rng(rng)
    values = rng.random((seq_len, batch_size))
    markers = np.zeros((seq_len, batch_size))
    columns = np.arange(batch_size)
    markers[rng.integers(first_start, seq_len // 2, size=batch_size), columns] = 1.0
    markers[rng.integers(seq_len // 2, seq_len, size=batch_size), columns] = 1.0
    y = (values * markers).sum(axis=0)[:, None]
    return np.stack([values, markers], axis=-1), y


def temporal_order_label(x):
    symbols = x.argmax(axis=2).T
    labels = []
    for row in symbols:
        first, second = row[row <= 1]
        labels.append(2 * first + second)
    return np.array(labels)


def train_step(model, optimizer, x, y, max_norm):
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    minigrad.optim.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def test_tasks_parts_pass_right_answers():
    passes("tasks.adding_problem", adding_problem)
    passes("tasks.temporal_order", temporal_order_label)
    passes("tasks.train_step", train_step)


def test_adding_problem_rejects_markers_anywhere():
    def anywhere(batch_size, seq_len, rng=None):
        rng = np.random.default_rng(rng)
        values = rng.random((seq_len, batch_size))
        markers = np.zeros((seq_len, batch_size))
        for b in range(batch_size):
            markers[rng.choice(seq_len, size=2, replace=False), b] = 1.0
        y = (values * markers).sum(axis=0)[:, None]
        return np.stack([values, markers], axis=-1), y

    fails("tasks.adding_problem", anywhere, "one in the first half")


def test_adding_problem_rejects_an_ignored_seed():
    def unseeded(batch_size, seq_len, rng=None):
        return adding_problem(batch_size, seq_len, None)

    fails("tasks.adding_problem", unseeded, "different data")


def test_adding_problem_rejects_a_target_of_the_wrong_shape():
    def flat_target(batch_size, seq_len, rng=None):
        x, y = adding_problem(batch_size, seq_len, rng)
        return x, y[:, 0]

    fails("tasks.adding_problem", flat_target, "y is an array of shape (6,)")


def test_adding_problem_rejects_markers_that_avoid_the_ends():
    def never_at_the_ends(batch_size, seq_len, rng=None):
        return adding_problem(batch_size, seq_len, rng, first_start=1)

    fails("tasks.adding_problem", never_at_the_ends, "never lands on step 0")


def swap(labels):
    """XY <-> YX: what a learner who reads the pair the other way round gets."""
    return np.select([labels == 1, labels == 2], [2, 1], labels)


def test_temporal_order_rejects_a_swapped_order():
    fails("tasks.temporal_order", lambda x: swap(temporal_order_label(x)), "order is swapped")


def test_train_step_rejects_a_missing_zero_grad():
    def no_zero_grad(model, optimizer, x, y, max_norm):
        loss = F.mse_loss(model(x), y)
        loss.backward()
        minigrad.optim.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        return loss.item()

    fails("tasks.train_step", no_zero_grad, "zero_grad() first")


def test_train_step_rejects_clipping_after_the_step():
    def late_clip(model, optimizer, x, y, max_norm):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        minigrad.optim.clip_grad_norm_(model.parameters(), max_norm)
        return loss.item()

    fails("tasks.train_step", late_clip, "not clipped before the update", "too late")


def test_train_step_rejects_a_missing_clip():
    def no_clip(model, optimizer, x, y, max_norm):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    fails("tasks.train_step", no_clip, "not clipped before the update")


# ----------------------------------------------------------------------------------------------
# 8. an LSTM on text
# ----------------------------------------------------------------------------------------------


def unigram_entropy(codes, vocab_size):
    return text.unigram_entropy(codes, vocab_size)


def sample_char(logits, temperature, rng):
    p = softmax(logits / temperature)
    return int(rng.choice(len(p), p=p))


def sample_char_by_gumbel(logits, temperature, rng):
    """A right sampler that draws differently from minigrad (the Gumbel-max trick)."""
    return int(np.argmax(logits / temperature + rng.gumbel(size=len(logits))))


def stream_windows(codes, batch_size, seq_len):
    windows = text.stream_windows(codes, batch_size, seq_len, vocab_size=int(codes.max()) + 1)
    count = (len(codes) // batch_size - 1) // seq_len
    return [(x.argmax(axis=2), y) for x, y, _ in (next(windows) for _ in range(count))]


def detach_state(state):
    return text.detach_state(state)


def test_text_parts_pass_right_answers():
    passes("text.unigram_entropy", unigram_entropy)
    passes("text.sample_char", sample_char)
    passes("text.sample_char", sample_char_by_gumbel)
    passes("text.stream_windows", stream_windows)
    passes("text.detach_state", detach_state)


def test_unigram_entropy_rejects_bits():
    fails(
        "text.unigram_entropy",
        lambda codes, v: unigram_entropy(codes, v) / np.log(2),
        "entropy in bits",
    )


def test_unigram_entropy_names_the_empty_codes():
    def with_empty_codes(codes, vocab_size):
        p = np.bincount(codes, minlength=vocab_size) / len(codes)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-(p * np.log(p)).sum())

    fails("text.unigram_entropy", with_empty_codes, "0 ln 0")


def test_sample_char_rejects_a_temperature_that_multiplies():
    def times_temperature(logits, temperature, rng):
        return text.sample_index(logits * temperature * temperature, temperature, rng)

    fails("text.sample_char", times_temperature, "multiplied by the temperature")


def test_sample_char_rejects_the_global_generator():
    def global_rng(logits, temperature, rng):
        p = softmax(logits / temperature)
        return int(np.random.default_rng().choice(len(p), p=p))

    fails("text.sample_char", global_rng, "same seed gave different")


def test_sample_char_asks_for_an_int():
    fails("text.sample_char", lambda logits, t, rng: 0.5, "should return an int")


def test_sample_char_names_the_overflow():
    def unshifted(logits, temperature, rng):
        e = np.exp(logits / temperature)
        return int(rng.choice(len(e), p=e / e.sum()))

    fails("text.sample_char", unshifted, "exp(1000) overflows")


def test_stream_windows_rejects_unshifted_targets():
    def unshifted(codes, batch_size, seq_len):
        return [(x, x) for x, _ in stream_windows(codes, batch_size, seq_len)]

    fails("text.stream_windows", unshifted, "y must be the next characters")


def test_stream_windows_counts_the_windows():
    fails("text.stream_windows", lambda codes, b, t: stream_windows(codes, b, t)[:-1], "gave")


def test_detach_state_rejects_the_state_itself():
    fails("text.detach_state", lambda state: state, "reached the weights")


def test_detach_state_asks_for_a_pair():
    fails("text.detach_state", lambda state: Tensor(0.0), "should return a pair")


# ----------------------------------------------------------------------------------------------
# Every part
# ----------------------------------------------------------------------------------------------

COURSE_PARTS = sorted(name for name in PARTS if not name.startswith("demo."))


def test_the_course_has_at_least_35_parts_each_graded_in_one_notebook():
    graded = [name for names in NOTEBOOKS.values() for name in names]
    assert len(graded) >= 35
    assert sorted(graded) == COURSE_PARTS


@pytest.mark.parametrize("part", COURSE_PARTS)
def test_every_part_says_not_implemented_for_a_blank_answer(part):
    def blank(*args):
        raise NotImplementedError

    assert run_check(part, blank).message.startswith("Not implemented yet")


@pytest.mark.parametrize("part", COURSE_PARTS)
def test_every_part_rejects_an_answer_that_returns_none(part):
    assert run_check(part, lambda *args: None).points == 0


# ----------------------------------------------------------------------------------------------
# The notebooks: built from one source, graded by the real grader
# ----------------------------------------------------------------------------------------------

CHAPTERS = EXERCISE_CHAPTERS


def load_build():
    """exercises/build.py, the generator of the exercise and solution notebooks."""
    spec = importlib.util.spec_from_file_location("exercise_build", ROOT / "exercises" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_blanks_each_solution_block_at_its_indentation():
    build = load_build()
    code = (
        "def f(x):\n    y = 2\n    # BEGIN SOLUTION\n    return x * y\n    # END SOLUTION\n\n"
        "check()"
    )
    assert build.exercise_code(code, "test") == (
        "def f(x):\n    y = 2\n    # YOUR CODE HERE\n    raise NotImplementedError\n\ncheck()"
    )
    assert build.solution_code(code) == "def f(x):\n    y = 2\n    return x * y\n\ncheck()"


def test_build_refuses_an_unclosed_solution_block():
    build = load_build()
    with pytest.raises(ValueError, match="without '# END SOLUTION'"):
        build.exercise_code("def f():\n    # BEGIN SOLUTION\n    return 1", "cell 3")


def test_build_reads_markdown_and_code_cells(tmp_path):
    build = load_build()
    source = tmp_path / "chapter.py"
    source.write_text("# %% [markdown]\n# # Title\n#\n# Text.\n\n# %%\nx = 1\n\n\n# %%\ny = 2\n")
    assert build.read_cells(source) == [
        ("markdown", "# Title\n\nText."),
        ("code", "x = 1"),
        ("code", "y = 2"),
    ]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_stored_notebooks_match_their_source(chapter):
    build = load_build()
    assert build.differences(build.SOURCES / f"{chapter}.py") == []


def test_exercise_notebooks_are_stored_without_outputs():
    for chapter in CHAPTERS:
        notebook = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, chapter


def test_solution_notebooks_are_stored_executed_with_every_part_passed():
    for chapter in CHAPTERS:
        notebook = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(cell.execution_count is not None for cell in code), chapter
        printed = "".join(
            output.get("text", "") for cell in code for output in cell.outputs
        ).splitlines()
        verdicts = [line.split(":")[0] for line in printed if ": passed, " in line]
        assert verdicts == list(NOTEBOOKS[f"{chapter}.ipynb"]), chapter
        assert not any(o.output_type == "error" for cell in code for o in cell.outputs), chapter


@pytest.mark.parametrize("part", COURSE_PARTS)
def test_every_part_passes_a_right_answer_on_fresh_inputs_too(part):
    """The judge moves every seed for each grading run: a right answer must pass them all."""
    answer = scalar_backward if part == "scalar.backward" else globals()[PARTS[part].function]
    for offset in (1000, 7_000, 123_000, 999_000):
        with fresh_inputs(offset):
            result = run_check(part, answer)
        assert result.message == "passed", (offset, result.message)


WIRE_IMPORTS = (
    "import numpy as np\n"
    "from minigrad.course.grading.check import check\n"
    "from minigrad.tensor import softmax"
)
WIRE_ANSWERS = {
    "01_scalar_autograd.ipynb": [
        "def topological_order(root):\n"
        "    order, visited = [], set()\n\n"
        "    def visit(node):\n"
        "        if node not in visited:\n"
        "            visited.add(node)\n"
        "            for parent in node._parents:\n"
        "                visit(parent)\n"
        "            order.append(node)\n\n"
        "    visit(root)\n"
        "    return order",
    ],
    "08_lstm_on_text.ipynb": [
        "def sample_char(logits, temperature, rng):\n"
        "    p = softmax(logits / temperature)\n"
        "    return int(np.random.default_rng().choice(len(p), p=p))",
        "def detach_state(state):\n    return state",
        "def unigram_entropy(codes, vocab_size):\n"
        "    p = np.bincount(codes)[np.bincount(codes) > 0] / len(codes)\n"
        "    return float(-(p * np.log(p)).sum())",
    ],
}


def test_the_judge_names_mistakes_in_answers_that_live_in_a_kernel(tmp_path):
    """The checks that need more than numbers to cross (a Value graph 5000 deep, a seeded
    generator whose state comes back, a Tensor whose graph stays here) work on answers in a
    learner's kernel, as the grader calls them."""
    for name, answers in WIRE_ANSWERS.items():
        cells = [nbformat.v4.new_code_cell(code) for code in [WIRE_IMPORTS, *answers]]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / name)
    manifest = {name: NOTEBOOKS[name] for name in WIRE_ANSWERS}
    submission = grader.grade_submission(tmp_path, manifest, timeout=240)
    parts = {part.name: part for notebook in submission.notebooks for part in notebook.parts}
    assert "recursion limit" in parts["scalar.topological_order"].message
    assert "same seed gave different draws" in parts["text.sample_char"].message
    assert "reached the weights" in parts["text.detach_state"].message
    assert parts["text.unigram_entropy"].message == "passed"
    assert parts["text.stream_windows"].message.startswith("Not answered")


def grade_folder(folder: Path, report: Path) -> types.SimpleNamespace:
    """Run the real grader (`python -m minigrad grade FOLDER`, in-process) and record, for
    each notebook, the cells that raised or timed out."""
    problems = []
    run_cells = grader.run_cells

    def recording(client, notebook, timeout):
        found = run_cells(client, notebook, timeout)
        problems.append(found)
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grader, "run_cells", recording)
        status = grader.main([str(folder), "--json", str(report), "--timeout", "120"])
    scores = json.loads(report.read_text())
    notebooks = {Path(nb["path"]).stem: nb for nb in scores["notebooks"]}
    problems = dict(zip(notebooks, problems))
    return types.SimpleNamespace(status=status, notebooks=notebooks, problems=problems)


@pytest.fixture(scope="module")
def graded_solutions(tmp_path_factory):
    return grade_folder(ROOT / "solutions", tmp_path_factory.mktemp("grades") / "solutions.json")


@pytest.fixture(scope="module")
def graded_exercises(tmp_path_factory):
    return grade_folder(ROOT / "exercises", tmp_path_factory.mktemp("grades") / "exercises.json")


COURSE_POINTS = sum(PARTS[name].points for names in NOTEBOOKS.values() for name in names)


def test_the_grader_gives_the_solutions_full_marks(graded_solutions):
    assert graded_solutions.status == 0
    assert sorted(graded_solutions.notebooks) == CHAPTERS
    total = sum(notebook["total"] for notebook in graded_solutions.notebooks.values())
    assert total == COURSE_POINTS
    for chapter, notebook in graded_solutions.notebooks.items():
        assert notebook["total"] == notebook["max"] > 0, chapter
        assert all(part["message"] == "passed" for part in notebook["parts"]), chapter


def test_the_solutions_call_no_reference_implementation(graded_solutions):
    for chapter, notebook in graded_solutions.notebooks.items():
        assert all(part["flags"] == [] for part in notebook["parts"]), chapter


def test_the_solutions_run_without_an_error_in_any_cell(graded_solutions):
    assert graded_solutions.problems == {chapter: {} for chapter in CHAPTERS}


def test_the_grader_gives_the_blank_exercises_zero(graded_exercises):
    assert graded_exercises.status == 0
    assert sorted(graded_exercises.notebooks) == CHAPTERS
    total = sum(notebook["max"] for notebook in graded_exercises.notebooks.values())
    assert total == COURSE_POINTS
    for chapter, notebook in graded_exercises.notebooks.items():
        assert notebook["total"] == 0 and notebook["max"] > 0, chapter
        for part in notebook["parts"]:
            assert part["message"].startswith("Not implemented yet"), (chapter, part)


def test_the_blank_exercises_run_top_to_bottom_without_raising(graded_exercises):
    assert graded_exercises.problems == {chapter: {} for chapter in CHAPTERS}


def test_exercises_and_solutions_are_graded_on_every_course_part_once(
    graded_exercises, graded_solutions
):
    def parts(graded):
        return {
            chapter: [part["name"] for part in notebook["parts"]]
            for chapter, notebook in graded.notebooks.items()
        }

    assert parts(graded_exercises) == parts(graded_solutions)
    every = [name for names in parts(graded_exercises).values() for name in names]
    assert sorted(every) == COURSE_PARTS
