const bcrypt = require('bcryptjs');
const argon2 = require('argon2');
const crypto = require('crypto');
(async () => {
  const pw = 'correct horse battery staple';
  const out = [];
  out.push({algorithm: 'Bcrypt', password: pw, digest: bcrypt.hashSync(pw, 10), by: 'bcryptjs 2.4.3 hashSync(password, 10)'});
  out.push({algorithm: 'Bcrypt', password: 'ünïcødé pässwörd', digest: bcrypt.hashSync('ünïcødé pässwörd', 4), by: 'bcryptjs 2.4.3 hashSync(password, 4)'});
  out.push({algorithm: 'Argon2i', password: pw, digest: await argon2.hash(pw, {type: argon2.argon2i, timeCost: 8, memoryCost: 8192, parallelism: 1}), by: 'argon2 0.41.1 hash(password, {type: argon2i, timeCost: 8, memoryCost: 8192, parallelism: 1}) (Logto\'s own parameters)'});
  out.push({algorithm: 'Argon2id', password: pw, digest: await argon2.hash(pw, {type: argon2.argon2id}), by: 'argon2 0.41.1 hash(password) (argon2id defaults)'});
  out.push({algorithm: 'Argon2d', password: pw, digest: await argon2.hash(pw, {type: argon2.argon2d, timeCost: 2, memoryCost: 4096, parallelism: 1}), by: 'argon2 0.41.1 hash(password, {type: argon2d, timeCost: 2, memoryCost: 4096})'});
  for (const [a, n] of [['MD5','md5'],['SHA1','sha1'],['SHA256','sha256']]) {
    out.push({algorithm: a, password: pw, digest: crypto.createHash(n).update(pw).digest('hex'), by: `node:crypto createHash('${n}').update(password).digest('hex')`});
  }
  const leg = (alg, args, pwd) => crypto.createHash(alg).update(args.map(x => x === '@' ? pwd : x).join('')).digest('hex');
  out.push({algorithm: 'Legacy', password: pw, digest: JSON.stringify(['sha256', ['salt123', '@'], leg('sha256', ['salt123','@'], pw)]), by: "node:crypto sha256 of 'salt123' + password"});
  out.push({algorithm: 'Legacy', password: pw, digest: JSON.stringify(['sha512', ['pre', '@', 'post'], leg('sha512', ['pre','@','post'], pw)]), by: "node:crypto sha512 of 'pre' + password + 'post'"});
  out.push({algorithm: 'Legacy', password: pw, digest: JSON.stringify(['md5', ['@'], leg('md5', ['@'], pw)]), by: 'node:crypto md5 of password'});
  out.push({algorithm: 'Legacy', password: pw, digest: JSON.stringify(['pbkdf2', ['somesalt', '1000', '32', 'sha256', '@'], crypto.pbkdf2Sync(pw, 'somesalt', 1000, 32, 'sha256').toString('hex')]), by: "node:crypto pbkdf2Sync(password, 'somesalt', 1000, 32, 'sha256')"});
  out.push({algorithm: 'Legacy', password: pw, digest: JSON.stringify(['pbkdf2', ['hex:80ff00414243', '2000', '64', 'sha512', '@'], crypto.pbkdf2Sync(pw, Buffer.from('80ff00414243','hex'), 2000, 64, 'sha512').toString('hex')]), by: "node:crypto pbkdf2Sync(password, hex 80ff00414243, 2000, 64, 'sha512')"});
  // Logto's own test vectors from packages/core/src/utils/password.test.ts
  out.push({algorithm: 'Legacy', password: 'password123', digest: JSON.stringify(['sha256', ['salt123', '@'], 'c465f66c6ac481a7a17e9ed5b4e2e7e7288d892f12bf1c95c140901e9a70436e']), by: "Logto's test vector (utils/password.test.ts)"});
  console.log(JSON.stringify(out, null, 2));
})();
