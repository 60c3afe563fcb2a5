#!/bin/bash
# usage: demo-sweep.sh vocab size hidden layers lr epochs precision
set -e
cd /work/main
V=$1; N=$2; H=$3; L=$4; LR=$5; E=$6; P=${7:-auto}; R=${8:-1}
D=/tmp/dsweep/v$V-n$N-h$H-l$L-lr$LR-e$E-$P-r$R
rm -rf $D; mkdir -p $D
node --conditions=development --import tsx packages/tunelab/scratch/corpus.ts $D/data $V $N $R
mkdir -p $D/model; cp $D/data/tokenizer/* $D/model/
VS=$(wc -l < $D/data/tokenizer/vocab.txt)
cat > $D/model/config.json <<EOC
{"model_type":"bert","architectures":["BertForMaskedLM"],"hidden_size":$H,"num_hidden_layers":$L,"num_attention_heads":4,"intermediate_size":$((H*4)),"max_position_embeddings":64,"vocab_size":$VS,"pad_token_id":0}
EOC
/usr/bin/time -f "%U user %e wall" node --conditions=development --import tsx packages/tunelab/src/cli/main.ts train --model $D/model --from-scratch --task glue/mrpc --train-file $D/data/train.tsv --validation-file $D/data/dev.tsv --output-dir $D/out --epochs $E --batch-size 32 --lr $LR --warmup-ratio 0.1 --max-seq-length 64 --no-track --save-every 100000 --precision $P --json > $D/log.jsonl 2> $D/err.txt
grep -o '"eval_accuracy":[0-9.]*' $D/log.jsonl | tr '\n' ' ' > $D/summary.txt
tail -1 $D/err.txt >> $D/summary.txt
echo "$D: $(cat $D/summary.txt)"
