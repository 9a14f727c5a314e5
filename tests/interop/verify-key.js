// verify-key.js BUNDLE ARTIFACT PUBKEY — @sigstore/verify as an independent oracle for the
// key-signed v0.3 bundles diskops writes (no tlog, so tlog/ct/tsa thresholds are 0).
// Exit 0 when verified; prints the error otherwise.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, artifactPath, keyPath] = process.argv.slice(2);
const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
const der = crypto.createPublicKey(fs.readFileSync(keyPath)).export({ type: 'spki', format: 'der' });
const hint = bundle.verificationMaterial.content.publicKey.hint;
const trust = toTrustMaterial({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] },
  { [hint]: { rawBytes: der, keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: new Date(0) } } });
try {
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, tsaThreshold: 0 })
    .verify(toSignedEntity(bundle, fs.readFileSync(artifactPath)));
  console.log('verified');
} catch (e) {
  console.error(`not verified: ${e.code || ''} ${e.message}`);
  process.exit(4);
}
