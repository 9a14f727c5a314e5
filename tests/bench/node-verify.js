// node-verify.js SHARED_SIGSTORE_DIR [SECONDS] — @sigstore/verify on the conformance
// happy-path-v0.3 bundle with the production root: verifications per second, one thread.
'use strict';
const fs = require('fs');
const path = require('path');
// The pinned packages live in tests/interop (npm ci there).
const req = require('module').createRequire(path.join(__dirname, '../interop/package.json'));
const { bundleFromJSON } = req('@sigstore/bundle');
const { TrustedRoot } = req('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = req('@sigstore/verify');

const [shared, secs = '3'] = process.argv.slice(2);
const dir = path.join(shared, 'sigstore-conformance/test/assets/bundle-verify');
const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(path.join(shared, 'trusted-roots/production/trusted_root.json'))));
const json = JSON.parse(fs.readFileSync(path.join(dir, 'happy-path-v0.3/bundle.sigstore.json')));
const artifact = fs.readFileSync(path.join(dir, 'a.txt'));
const policy = { subjectAlternativeName: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  extensions: { issuer: 'https://token.actions.githubusercontent.com' } };
// Warm, like the C side: trust material built once, the bundle parsed per verification.
const verifier = new Verifier(toTrustMaterial(root));
const once = () => verifier.verify(toSignedEntity(bundleFromJSON(json), artifact), policy);
once();
const end = Date.now() + Number(secs) * 1000;
let n = 0;
const t0 = process.hrtime.bigint();
while (Date.now() < end) { for (let i = 0; i < 5; i++) { once(); n++; } }
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`sigstore-js-verify ${Math.round(n / dt)}`);
