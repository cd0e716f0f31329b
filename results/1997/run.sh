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
# First, batches of 32 (the recipe we started with), which learned for too few seeds:
run() {  # experiment T seed model
    "$PYTHON" -m minigrad reproduce "$1" --seq-len "$2" --seed "$3" --model "$4" --no-progress \
        --batch-size 32 --json "results/1997/$1_T$2_$4_seed$3.json"
}
run_lstm() {  # experiment T seed forget-bias: the LSTM with a forget gate
    "$PYTHON" -m minigrad reproduce "$1" --seq-len "$2" --seed "$3" --model lstm --batch-size 32 \
        --forget-bias "$4" --no-progress --json "results/1997/$1_T$2_lstm_fb$4_seed$3.json"
}
for seed in 0 1 2; do run adding 100 "$seed" lstm1997; done
run temporal_order 100 0 lstm1997
run adding 500 0 lstm1997
run adding 100 0 rnn  # the tanh RNN, on the same protocol and budget
for seed in 0 1; do run_lstm adding 100 "$seed" 3; done
# Then the default recipe, batches of 8: four times the weight updates per training sequence
for seed in 0 1 2; do
    "$PYTHON" -m minigrad reproduce adding --seq-len 100 --seed "$seed" --model lstm1997 \
        --batch-size 8 --no-progress --json "results/1997/adding_T100_lstm1997_b8_seed$seed.json"
done
"$PYTHON" -m minigrad reproduce temporal_order --seq-len 100 --seed 0 --model lstm1997 \
    --batch-size 8 --no-progress --json "results/1997/temporal_order_T100_lstm1997_b8_seed0.json"
# Started, but not finished in the time we had: its row is not in the table yet.
"$PYTHON" -m minigrad reproduce adding --seq-len 500 --seed 0 --model lstm1997 \
    --batch-size 8 --no-progress --json "results/1997/adding_T500_lstm1997_b8_seed0.json"
# Not run here, for lack of time on a shared 2-core machine (up to 853,000 sequences):
# run adding 1000 0 lstm1997
"$PYTHON" results/1997/figure.py
