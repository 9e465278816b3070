// Runs the graphql-http audit suite (the GraphQL over HTTP spec's MUST, SHOULD and MAY checks)
// against a running server: node audit.mjs [URL], URL defaulting to the local server's.
// Prints every check that did not pass and the counts by level; exits 1 if a MUST failed.
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/graphql';
const results = await auditServer({ url });
const level = (name) => name.split(' ')[0]; // "MUST …", "SHOULD …", "MAY …"
const counts = {};
for (const result of results) {
  const key = `${level(result.name)} ${result.status}`;
  counts[key] = (counts[key] ?? 0) + 1;
  if (result.status !== 'ok') {
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}\n  ${result.reason}`);
  }
}
console.log(`\n${results.length} audits against ${url}`);
for (const key of Object.keys(counts).sort()) console.log(`  ${key}: ${counts[key]}`);
process.exit(results.some((r) => r.status === 'error') ? 1 : 0);
