#!/bin/sh
# Regenerates results/chapter7/*.json, the success rates of chapter 7: the 1997 temporal
# order problem (task 6a, scaled to T) under the paper's protocol, with the default recipe of
# `python -m minigrad reproduce` (batches of 8, Adam 0.005, input gates biased to -6 in the
# LSTMs) and a budget of 20,000 training sequences, for 5 seeds of each net and T; then the
# forget-bias runs of the LSTM with a forget gate, at T = 100.
# From the repository's root:  sh results/chapter7/run.sh   (about 10 minutes on one core)
set -e
export OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0
PYTHON=${PYTHON:-.venv/bin/python}
run() {  # T model seed [forget bias]
    "$PYTHON" -m minigrad reproduce temporal_order --seq-len "$1" --model "$2" --seed "$3" \
        --forget-bias "${4:-1}" --max-sequences 20000 --no-progress \
        --json "results/chapter7/temporal_order_T$1_$2_fb${4:-1}_seed$3.json"
}
for T in 100 50 20; do
    for model in lstm1997 rnn gru; do
        for seed in 0 1 2 3 4; do run "$T" "$model" "$seed"; done
    done
done
for bias in 1 3 5; do
    for seed in 0 1 2 3 4; do run 100 lstm "$seed" "$bias"; done
done
