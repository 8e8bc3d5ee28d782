// Generates the TypeScript types from the JSON Schemas of this folder (npm run generate).
// EnvironmentSpec is what a client may send; ValidEnvironmentSpec is what validateSpec returns,
// where every field with a default is filled in and therefore required.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { compile } from 'json-schema-to-typescript';

const read = async name =>
  JSON.parse(await readFile(new URL(`../${name}`, import.meta.url), 'utf8'));
const schema = await read('environment.schema.json');
const volumeMembers = await read('volume-members.schema.json');
const classBody = await read('class.schema.json');
const exchangeUpload = await read('exchange-upload.schema.json');
const credentialBody = await read('credential.schema.json');

function requireDefaults(node) {
  if (node.properties) {
    const defaulted = Object.keys(node.properties).filter(
      key => node.properties[key].default !== undefined
    );
    node.required = [...new Set([...(node.required ?? []), ...defaulted])];
    Object.values(node.properties).forEach(requireDefaults);
  }
  if (node.items) requireDefaults(node.items);
  return node;
}

const outputs = {
  'environment.ts': schema,
  'validEnvironment.ts': requireDefaults({
    ...structuredClone(schema),
    title: 'ValidEnvironmentSpec'
  }),
  'volumeMembers.ts': requireDefaults(volumeMembers),
  'classBody.ts': classBody,
  'exchangeUpload.ts': exchangeUpload,
  'credentialBody.ts': credentialBody
};
await mkdir(new URL('../src/generated/', import.meta.url), { recursive: true });
for (const [file, source] of Object.entries(outputs)) {
  const ts = await compile(source, source.title, {
    additionalProperties: false,
    ignoreMinAndMaxItems: true
  });
  await writeFile(new URL(`../src/generated/${file}`, import.meta.url), ts);
}
