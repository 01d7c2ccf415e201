// /docs: a self-contained HTML page rendered on the server from the OpenAPI document (no CDN, no script), listing
// every operation with its parameters, request example and responses.
type Json = Record<string, any>;

const esc = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const code = (v: unknown) => `<pre><code>${esc(typeof v === 'string' ? v : JSON.stringify(v, null, 2))}</code></pre>`;

function schemaSummary(schema: Json | undefined, doc: Json): string {
  if (!schema) return '';
  if (schema.$ref) {
    const name = String(schema.$ref).split('/').pop();
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  if (schema.type === 'array') return `array of ${schemaSummary(schema.items, doc)}`;
  return esc(schema.type ?? (schema.anyOf ? 'one of several shapes' : 'object'));
}

function operation(path: string, method: string, op: Json, doc: Json): string {
  const params = (op.parameters ?? []) as Json[];
  const body = op.requestBody?.content?.['application/json'];
  const responses = Object.entries((op.responses ?? {}) as Record<string, Json>);
  return `
  <section class="op" id="${esc(op.operationId ?? `${method}-${path}`)}">
    <h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
    <p><strong>${esc(op.summary)}</strong></p>
    ${op.description ? `<p>${esc(op.description)}</p>` : ''}
    ${
      params.length
        ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${params
            .map(
              (p) =>
                `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${esc(JSON.stringify(p.schema))}</td></tr>`,
            )
            .join('')}</table>`
        : ''
    }
    ${body ? `<h4>Request body (${schemaSummary(body.schema, doc)})</h4>${body.example !== undefined ? code(body.example) : ''}` : ''}
    <h4>Responses</h4>
    <table><tr><th>status</th><th>meaning</th><th>example</th></tr>${responses
      .map(([status, r]) => {
        const content = r.content ? (Object.values(r.content)[0] as Json) : undefined;
        return `<tr><td>${esc(status)}</td><td>${esc(r.description)}</td><td>${content?.example !== undefined ? code(content.example) : ''}</td></tr>`;
      })
      .join('')}</table>
  </section>`;
}

export function renderDocsPage(doc: Json): string {
  const paths = Object.entries((doc.paths ?? {}) as Record<string, Json>);
  const ops = paths.flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([m, op]) => ({ path, method: m, op: op as Json })),
  );
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Record<string, Json>);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info?.title)} API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f5f5f5;padding:.5rem;overflow:auto;max-height:20rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top;text-align:left}
.m{display:inline-block;min-width:4rem;text-align:center;border-radius:3px;color:#fff;padding:0 .3rem}.get{background:#2b7de9}.post{background:#1a9950}.put{background:#c77c02}.delete{background:#c0392b}.patch{background:#8e44ad}
.op{border-top:1px solid #ccc;padding-top:.5rem}
</style></head><body>
<h1>${esc(doc.info?.title)} <small>${esc(doc.info?.version)}</small></h1>
<p>${esc(doc.info?.description)}</p>
<p>OpenAPI ${esc(doc.openapi)} document: <a href="/openapi.json">/openapi.json</a>. Server: <code>${esc(doc.servers?.[0]?.url)}</code></p>
<h2>Operations</h2>
<ul>${ops.map(({ path, method, op }) => `<li><a href="#${esc(op.operationId ?? `${method}-${path}`)}">${esc(method.toUpperCase())} ${esc(path)}</a> ${esc(op.summary)}</li>`).join('')}</ul>
${ops.map(({ path, method, op }) => operation(path, method, op, doc)).join('\n')}
<h2>Schemas</h2>
${schemas.map(([name, s]) => `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3>${code(s)}</section>`).join('\n')}
</body></html>`;
}
