// Password digests made by other implementations than Monban's, for the
// import tests: Argon2i exactly as Logto makes its own (hash-wasm's argon2i
// with Logto's costs, packages/core/src/workers/tasks/argon2i.ts), Argon2id
// and Argon2d with hash-wasm, and bcrypt with bcryptjs (the $2b$ strings
// Auth0-style exports hold) and with hash-wasm ($2a$).
//
// makeDigests() is used twice: `node digests.mjs > testdata/digests.json`
// wrote the committed fixtures, and logto-api.mjs makes fresh ones (new
// salts) on every run.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

import bcryptjs from 'bcryptjs';
import { argon2d, argon2i, argon2id, bcrypt } from 'hash-wasm';

const version = (name) =>
  JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;

export const password = 'correct horse battery staple';
export const unicodePassword = 'ünïcødé pässwörd';

export async function makeDigests() {
  const hw = `hash-wasm ${version('hash-wasm')}`;
  const bj = `bcryptjs ${version('bcryptjs')}`;
  const argon = (f, costs, pw = password) =>
    f({ password: pw, salt: crypto.randomBytes(16), hashLength: 32, outputType: 'encoded', ...costs });
  const logtoCosts = { iterations: 8, parallelism: 1, memorySize: 8 * 1024 };
  return [
    {
      algorithm: 'Argon2i',
      password,
      digest: await argon(argon2i, logtoCosts),
      by: `${hw} argon2i({iterations: 8, parallelism: 1, memorySize: 8192, hashLength: 32, outputType: 'encoded'}) (Logto's own)`,
    },
    {
      algorithm: 'Argon2i',
      password: unicodePassword,
      digest: await argon(argon2i, { iterations: 3, parallelism: 2, memorySize: 4096 }, unicodePassword),
      by: `${hw} argon2i({iterations: 3, parallelism: 2, memorySize: 4096})`,
    },
    {
      algorithm: 'Argon2id',
      password,
      digest: await argon(argon2id, { iterations: 3, parallelism: 1, memorySize: 12 * 1024 }),
      by: `${hw} argon2id({iterations: 3, parallelism: 1, memorySize: 12288}) (one of OWASP's configurations)`,
    },
    {
      algorithm: 'Argon2d',
      password,
      digest: await argon(argon2d, { iterations: 2, parallelism: 1, memorySize: 4096 }),
      by: `${hw} argon2d({iterations: 2, parallelism: 1, memorySize: 4096})`,
    },
    {
      algorithm: 'Bcrypt',
      password,
      digest: bcryptjs.hashSync(password, 10),
      by: `${bj} hashSync(password, 10)`,
    },
    {
      algorithm: 'Bcrypt',
      password: unicodePassword,
      digest: bcryptjs.hashSync(unicodePassword, 4),
      by: `${bj} hashSync(password, 4)`,
    },
    {
      algorithm: 'Bcrypt',
      password,
      digest: await bcrypt({ password, salt: crypto.randomBytes(16), costFactor: 6, outputType: 'encoded' }),
      by: `${hw} bcrypt({costFactor: 6, outputType: 'encoded'})`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await makeDigests(), null, 2));
}
