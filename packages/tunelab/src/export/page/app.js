// The page's only script: loads the exported model (./model/, written by `tunelab export` from the served folder)
// with transformers.js and classifies the form's text (pair) in the page. No remote models, no CDN: the library,
// the onnxruntime-web wasm files and the model all come from this server. The last answer is also published as JSON
// on #scores (data-result) — the same fields as POST /v1/predict: label, label_id, score, logits.
import { AutoModelForSequenceClassification, AutoTokenizer, env } from './transformers.min.js';

const base = new URL('./', import.meta.url);
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = base.pathname; // the model id 'model' is ./model/
env.useBrowserCache = false; // the server's export is the truth; a cached older one is not
env.backends.onnx.wasm.wasmPaths = {
  mjs: new URL('ort/ort-wasm-simd-threaded.asyncify.mjs', base).href,
  wasm: new URL('ort/ort-wasm-simd-threaded.asyncify.wasm', base).href,
};
env.backends.onnx.wasm.numThreads = 1; // threads need cross-origin isolation; one is plenty for a sentence

const form = document.getElementById('form');
const button = document.getElementById('classify');
const status = document.getElementById('status');
const table = document.getElementById('scores');

function show(message, isError = false) {
  status.textContent = message;
  status.classList.toggle('error', isError);
}

/** transformers' text-classification scoring: softmax over labels (sigmoid for multi-label), the logit for regression. */
function score(logits, config) {
  if (config.problem_type === 'regression' || logits.length === 1) return { score: logits[0], logits };
  const probabilities = config.problem_type === 'multi_label_classification'
    ? logits.map((x) => 1 / (1 + Math.exp(-x)))
    : softmax(logits);
  const best = probabilities.indexOf(Math.max(...probabilities));
  return { label: config.id2label[best] ?? String(best), label_id: best, score: probabilities[best], logits, probabilities };
}

function softmax(logits) {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((x) => x / sum);
}

function render(answer, config) {
  const rows = (answer.probabilities ?? [answer.score]).map((value, index) => {
    const row = document.createElement('tr');
    row.className = index === answer.label_id ? 'top' : '';
    const name = answer.probabilities ? (config.id2label[index] ?? String(index)) : 'score';
    for (const text of [name, value.toFixed(4)]) row.append(Object.assign(document.createElement('td'), { textContent: text }));
    return row;
  });
  table.tBodies[0].replaceChildren(...rows);
  const { probabilities: _probabilities, ...published } = answer;
  table.dataset.result = JSON.stringify(published);
  table.hidden = false;
}

async function main() {
  const settings = await (await fetch(new URL('settings.json', base))).json();
  if (settings.pipeline !== 'text-classification') {
    show(`This page classifies text; the served model is a ${settings.pipeline} model.`, true);
    return;
  }
  const [tokenizer, model] = await Promise.all([
    AutoTokenizer.from_pretrained('model'),
    AutoModelForSequenceClassification.from_pretrained('model', { dtype: 'fp32', device: 'wasm' }),
  ]);
  button.disabled = false;
  show('Ready: type a text (and a second one for a pair).');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = document.getElementById('text').value;
    const pair = document.getElementById('text-pair').value;
    const inputs = tokenizer(text, { text_pair: pair === '' ? null : pair, truncation: true, max_length: settings.max_seq_length });
    const { logits } = await model(inputs);
    render(score(Array.from(logits.data), model.config), model.config);
    show('Classified in this page.');
  });
}

main().catch((error) => show(`Could not load the model: ${error.message ?? error}`, true));
