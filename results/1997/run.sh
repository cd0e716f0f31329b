#!/bin/sh
# Regenerates results/1997/*.json, the runs behind the README's reproduction of the 1997
# paper's Tables 7 and 9, one run at a time, then the figure. From the repository's root:
#     sh results/1997/run.sh
# The default recipe (python -m minigrad reproduce --help) is the one used. One BLAS thread:
# the matrices are small, and threads only compete with each other.
set -e
export OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0
PYTHON=${PYTHON:-.venv/bin/python}
run() {  # experiment T seed model
    "$PYTHON" -m minigrad reproduce "$1" --seq-len "$2" --seed "$3" --model "$4" --no-progress \
        --json "results/1997/$1_T$2_$4_seed$3.json"
}
for seed in 0 1 2; do run temporal_order 100 "$seed" lstm1997; done
for seed in 0 1 2; do run adding 100 "$seed" lstm1997; done
run adding 500 0 lstm1997
run adding 1000 0 lstm1997
run adding 100 0 rnn  # the tanh RNN, on the same protocol and budget
run temporal_order 100 0 rnn
"$PYTHON" results/1997/figure.py
