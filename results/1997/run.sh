#!/bin/sh
# Regenerates results/1997/*.json, the runs behind the README's reproduction of the 1997
# paper's Tables 7 and 9, one run at a time, then the figure and the table. From the
# repository's root:
#     sh results/1997/run.sh
# The default recipe (python -m minigrad reproduce --help) is the one used, except for the
# runs that name another model. One BLAS thread: the matrices are small, and threads only
# compete with each other.
set -e
export OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0
PYTHON=${PYTHON:-.venv/bin/python}
run() {  # experiment T seed model: one run of the default recipe with that model
    "$PYTHON" -m minigrad reproduce "$1" --seq-len "$2" --seed "$3" --model "$4" --no-progress \
        --json "results/1997/$1_T$2_$4_seed$3.json"
}
run_lstm() {  # experiment T seed forget-bias: the LSTM with a forget gate
    "$PYTHON" -m minigrad reproduce "$1" --seq-len "$2" --seed "$3" --model lstm \
        --forget-bias "$4" --no-progress --json "results/1997/$1_T$2_lstm_fb$4_seed$3.json"
}
for seed in 0 1 2; do run adding 100 "$seed" lstm1997; done
run temporal_order 100 0 lstm1997
run adding 500 0 lstm1997
run adding 100 0 rnn  # the tanh RNN, on the same protocol and budget
for seed in 0 1; do run_lstm adding 100 "$seed" 3; done
# Not run here, for lack of time on a shared 2-core machine (up to 853,000 sequences):
# run adding 1000 0 lstm1997
"$PYTHON" results/1997/figure.py
