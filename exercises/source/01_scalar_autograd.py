# %% [markdown]
# # Exercises 1: scalar autograd
#
# These exercises go with `notebooks/01_scalar_autograd.ipynb`. You will write the pieces of
# `minigrad.Value` that make reverse-mode autodiff work: the local derivatives of three
# operations, the order in which backward visits the graph, then the backward pass that
# chains them together.
#
# **How to work.** Each part is a function whose body is `# YOUR CODE HERE` followed by
# `raise NotImplementedError`. Replace those two lines with your code and run the cell: the
# `check(...)` call at the end of the cell tries your function on its own inputs and prints the
# verdict at once, either "passed" or what is wrong and on which input. Until you write a
# part, its check says "not implemented yet"; nothing else in the notebook breaks.
#
# That verdict is advice, for you while you work: it is not the grade. The grader runs the
# saved notebook in a fresh kernel and judges each of your functions itself, on new inputs
# every time, so only a function that works earns its points. To score the whole notebook,
# save it and run, from the course folder:
#
# ```
# .venv/bin/python -m minigrad grade exercises/01_scalar_autograd.ipynb
# ```
#
# The grader runs the notebook top to bottom in a fresh kernel and adds up the points.
# Worked solutions are in `solutions/01_scalar_autograd.ipynb`: try each part first.

# %%
import math

from minigrad import Value
from minigrad.course.grading.check import check

# %% [markdown]
# ## Part 1: the local derivatives of a product
#
# Every operation on `Value`s computes its result and, right beside it, the derivative of the
# result with respect to each input: its *local derivatives*. The backward pass (part 5) then
# multiplies them along the graph. For a product $c = a\,b$:
#
# $$\frac{\partial c}{\partial a} = b, \qquad \frac{\partial c}{\partial b} = a .$$
#
# Write `mul_local_grads(a, b)`, which takes two floats and returns the pair
# $(\partial c/\partial a,\ \partial c/\partial b)$. The check compares your pair with
# minigrad's on a few inputs, then builds $a \cdot b \cdot a$ with your rule and compares its
# gradients with finite differences (`minigrad.gradcheck`).


# %%
def mul_local_grads(a: float, b: float) -> tuple[float, float]:
    """The local derivatives of c = a * b, as the pair (dc/da, dc/db)."""
    # BEGIN SOLUTION
    return b, a
    # END SOLUTION


check("scalar.mul", mul_local_grads)

# %% [markdown]
# ## Part 2: the local derivative of tanh
#
# $$\frac{d}{dx} \tanh x = 1 - \tanh^2 x .$$
#
# The slope is written with the *output* $t = \tanh x$: the engine computes $t$ once in the
# forward pass and reuses it, $1 - t^2$, at no extra cost. Write `tanh_local_grad(x)` for a
# float `x` (`math.tanh` is imported). The cell below estimates the slope by a central finite
# difference, so you can compare before you check.

# %%
x, eps = 0.5, 1e-6
slope = (math.tanh(x + eps) - math.tanh(x - eps)) / (2 * eps)
print(f"slope of tanh at x = {x}, by finite differences: {slope:.6f}")


# %%
def tanh_local_grad(x: float) -> float:
    """d tanh(x) / dx at the float x."""
    # BEGIN SOLUTION
    t = math.tanh(x)
    return 1.0 - t * t
    # END SOLUTION


check("scalar.tanh", tanh_local_grad)

# %% [markdown]
# ## Part 3: the local derivative of exp
#
# $$\frac{d}{dx} e^x = e^x :$$
#
# the exponential is its own slope, so here too the forward result is all the backward needs.
# (The power rule, $\frac{d}{dx} x^n = n x^{n-1}$, is for a fixed exponent $n$; in $e^x$ the
# variable sits in the exponent.) Write `exp_local_grad(x)`.


# %%
def exp_local_grad(x: float) -> float:
    """d exp(x) / dx at the float x."""
    # BEGIN SOLUTION
    return math.exp(x)
    # END SOLUTION


check("scalar.exp", exp_local_grad)

# %% [markdown]
# ## Part 4: the order of the graph
#
# A `Value` made by an operation remembers where it came from, in two fields that the engine
# uses internally (hence the underscore; reading them is the point of this exercise):
#
# - `node._parents`, the `Value`s it was computed from;
# - `node._local_grads`, one local derivative per parent, the numbers of parts 1 to 3.
#
# Backward (part 5) may pass a node's gradient on only once the node has received the
# gradient of every use. So it needs the nodes in a *topological order*: a list of every node
# that the root depends on, each one after all of its parents, with the root last. For
# $L = a b + \tanh b$ one such order is
#
# $$a,\; b,\; a b,\; \tanh b,\; L,$$
#
# and backward walks it from the end. Two things make it harder than it looks:
#
# - a node can be reached along several paths ($b$ above, through $a b$ and through
#   $\tanh b$): it goes into the list once, so remember which nodes you have visited (a
#   `set` of them; `Value`s can be put in a set);
# - graphs get deep: an RNN unrolled over a thousand steps is a chain thousands of
#   operations long, deeper than Python lets a function call itself (1000 nested calls by
#   default). So walk the graph with a loop and a stack of your own.
#
# One way: depth first, with a stack of pairs `(node, parents_done)`. Pop a pair. If
# `parents_done` is true, every parent of the node is in the list already: append the node.
# Otherwise, if the node is new, mark it visited, push `(node, True)` back, then push
# `(parent, False)` for each parent not yet visited: they are popped, and listed, first.
#
# Write `topological_order(root)`, returning the list. The check runs it on a small graph in
# which one leaf is used three times, and on a chain of 5000 operations.


# %%
def topological_order(root: Value) -> list[Value]:
    """Every node that root depends on, each listed after all of its parents (root last)."""
    # BEGIN SOLUTION
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)  # each parent was appended when its own pair was popped
            continue
        if node in visited:
            continue  # reached again along another path
        visited.add(node)
        stack.append((node, True))
        for parent in node._parents:
            if parent not in visited:
                stack.append((parent, False))
    return order
    # END SOLUTION


check("scalar.topological_order", topological_order)

# %% [markdown]
# ## Part 5: the backward pass
#
# The chain rule fills in
# $\texttt{node.grad} = \partial\, \texttt{root} / \partial\, \texttt{node}$ for every node:
#
# 1. start with $\partial\,\texttt{root}/\partial\,\texttt{root} = 1$;
# 2. walk your topological order backwards, from the root to the leaves, and let each node
#    pass its gradient to its parents: `parent.grad += local_grad * node.grad`.
#
# Two details make it right. Walking *backwards* means a node passes its gradient on only
# after every node that uses it has passed its share back, so the gradient is complete. And
# `+=`, not `=`: a value used twice, like `b` in `a * b + tanh(b)`, gets a contribution from
# each use, and its gradient is their sum.
#
# Here is your order for $L = a b + \tanh b$, leaves first (`_op` names the operation that
# made a node; a leaf has none):

# %%
a, b = Value(2.0), Value(-3.0)
L = a * b + b.tanh()
try:
    for node in topological_order(L):
        made_by = node._op or "leaf"
        local_grads = ", ".join(f"{g:+.4f}" for g in node._local_grads)
        print(f"{made_by:>5}: data = {node.data:+.4f}, local grads = ({local_grads})")
except NotImplementedError:
    print("Write topological_order in part 4, then run this cell again.")

# %% [markdown]
# Write `backward(root)`, with your `topological_order`. Every `.grad` of a new graph starts
# at 0. The check also runs it on a chain of 1500 operations, far deeper than Python's
# recursion limit: use a loop.


# %%
def backward(root: Value) -> None:
    """Fill node.grad = d(root)/d(node) for every node of root's graph."""
    # BEGIN SOLUTION
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for parent, local_grad in zip(node._parents, node._local_grads):
            parent.grad += local_grad * node.grad
    # END SOLUTION


check("scalar.backward", backward)

# %% [markdown]
# Your `backward` next to minigrad's `Value.backward`, on $L = (a b + \tanh b)\, a$:

# %%
a, b = Value(2.0), Value(-3.0)
try:
    backward((a * b + b.tanh()) * a)
except NotImplementedError:
    print("Write topological_order and backward (parts 4 and 5), then run this cell again.")
else:
    a_ref, b_ref = Value(2.0), Value(-3.0)
    ((a_ref * b_ref + b_ref.tanh()) * a_ref).backward()
    print(f"your backward:  dL/da = {a.grad:.6f}, dL/db = {b.grad:.6f}")
    print(f"Value.backward: dL/da = {a_ref.grad:.6f}, dL/db = {b_ref.grad:.6f}")

# %% [markdown]
# ## Summary
#
# - An operation stores its local derivatives next to its result: $b$ and $a$ for $a b$,
#   $1 - t^2$ for $t = \tanh x$, $e^x$ for $e^x$.
# - A topological order lists each node once, after all of its parents; an explicit stack
#   finds it in graphs of any depth.
# - Backward is the chain rule in a loop: seed the root with 1, walk the topological order
#   backwards, and add `local_grad * node.grad` into each parent.
#
# Next: `exercises/02_tensors.ipynb`, the same ideas on whole arrays.
