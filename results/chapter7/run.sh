#!/bin/sh
# Regenerates results/chapter7/*.json, the success rates of chapter 7: the 1997 temporal
# order problem (task 6a, scaled to T) under the paper's protocol, with a budget of 16,000
# training sequences and batches of 32, for 5 seeds of each net and T; then the forget-bias
# runs (at T = 50, where the LSTM learns within that budget).
# From the repository's root:  sh results/chapter7/run.sh
set -e
export OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0
PYTHON=${PYTHON:-.venv/bin/python}
run() {  # T model seed [forget bias]
    "$PYTHON" -m minigrad reproduce temporal_order --seq-len "$1" --model "$2" --seed "$3" \
        --forget-bias "${4:-1}" --batch-size 32 --max-sequences 16000 --no-progress \
        --json "results/chapter7/temporal_order_T$1_$2_fb${4:-1}_seed$3.json"
}
for T in 100 50 20; do
    for model in lstm rnn gru; do
        for seed in 0 1 2 3 4; do run "$T" "$model" "$seed"; done
    done
done
for bias in 0 3; do
    for seed in 0 1 2 3 4; do run 50 lstm "$seed" "$bias"; done
done
