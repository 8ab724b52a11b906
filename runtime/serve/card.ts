/** `GET /`: a one-page model card — what the model is, what it takes, how well it did, how to call it. */
import type { LoadedModel } from '../io/model-dir';
import { acceptedTypes } from './inputs';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Scalar metrics only (run.json also holds confusion matrices and per-class tables). */
function metricRows(metrics: Record<string, unknown> | undefined): string {
  const rows = Object.entries(metrics ?? {}).filter(([, v]) => typeof v === 'number');
  if (!rows.length) return '<p>No test metrics were recorded for this model.</p>';
  return `<table>${rows
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(Number((v as number).toPrecision(5)))}</td></tr>`)
    .join('')}</table>`;
}

function example(m: LoadedModel, origin: string): string {
  const url = `${origin}/predict`;
  const shape = m.data.inputShape;
  const zeros = JSON.stringify(shape.reduceRight<unknown>((inner, d) => Array(d).fill(inner), 0));
  const json = `curl -s ${url} -H 'Content-Type: application/json' -d '{"inputs": ${zeros}}'`;
  return m.data.task === 'classification' && shape.length === 3
    ? `curl -s ${url} -H 'Content-Type: image/png' --data-binary @picture.png\n${json.length < 400 ? json : `# or JSON: {"inputs": [...]} of shape [${shape.join(', ')}] (pixels / 255)`}`
    : `curl -s ${url} -H 'Content-Type: text/csv' --data-binary @window.csv   # ≥ ${m.data.lookback ?? shape[0]} rows with columns ${(m.data.columns ?? []).join(',')}\n# or JSON: {"inputs": [...]} of shape [${shape.join(', ')}] in the data's units`;
}

export function modelCard(m: LoadedModel, origin: string): string {
  const { data, document, run } = m;
  const what =
    data.task === 'classification'
      ? `<p>${data.classNames?.length ?? 0} classes: ${(data.classNames ?? []).map(esc).join(', ')}</p>`
      : `<p>Forecasts ${esc(data.horizon)} steps of ${esc((data.columns ?? []).join(', '))} from the last ${esc(data.lookback)} steps.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(document.metadata.name)} · Heracles model</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:.8rem;overflow-x:auto}th{text-align:left;padding-right:1rem}</style></head>
<body>
<h1>${esc(document.metadata.name)}</h1>
<p>Task: <b>${esc(data.task)}</b> · input shape <code>[${esc(data.inputShape.join(', '))}]</code> · trained on ${esc(data.source)}</p>
${what}
<h2>Metrics (${esc(run?.metrics ? 'test split' : 'none')})</h2>
${metricRows(run?.metrics)}
<h2>Call it</h2>
<p><code>POST /predict</code> with Content-Type ${acceptedTypes(data)
    .map((t) => `<code>${esc(t)}</code>`)
    .join(', ')}; <code>GET /health</code>.</p>
<pre>${esc(example(m, origin))}</pre>
</body></html>
`;
}
