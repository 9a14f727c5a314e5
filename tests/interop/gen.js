// gen.js OUTDIR [--subject sha256:HEX] — fresh keyless Sigstore material from a loopback Fulcio/Rekor/CT/TSA
// (@sigstore/mock handlers behind node:http, signed with @sigstore/sign), plus one
// mutation per failure mode. Writes OUTDIR/cases.json: [{name, kind, expect, ...}]
// for tests/interop/test_sigstore_interop.c to verify with diskops.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const mock = require('@sigstore/mock');
const { generateKeyPair } = require('@sigstore/mock/dist/util/key');
const sign = require('@sigstore/sign');
const { bundleToJSON } = require('@sigstore/bundle');

const out = process.argv[2];
const ID = 'https://ci.example/acct/disk-images/.gitea/workflows/build.yml@refs/heads/main';
const ISSUER = 'https://token.ci.example';
const b64 = (b) => Buffer.from(b).toString('base64');
const buf = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const pem = (der) => `-----BEGIN CERTIFICATE-----\n${b64(der).match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
const sha256 = (d) => crypto.createHash('sha256').update(d).digest();
const jwt = (claims) => [{ alg: 'none' }, claims].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.') + '.sig';

// @sigstore/mock logs `dsse` entries uncanonicalised (proposedContent), which no verifier,
// @sigstore/verify included, can match; its `intoto` 0.0.2 entries are in Rekor's form.

// One loopback server for a set of handlers; resolves to its base URL.
function serve(handlers) {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        const h = handlers.find((x) => x.path === req.url && req.method === 'POST');
        if (!h) { res.writeHead(404); return res.end(); }
        const r = await h.fn(body);
        res.writeHead(r.statusCode, { 'Content-Type': r.contentType || 'text/plain' });
        res.end(typeof r.response === 'string' ? r.response : buf(r.response));
      });
    });
    srv.listen(0, '127.0.0.1', () => resolve({ srv, url: `http://127.0.0.1:${srv.address().port}` }));
  });
}

// A trusted_root.json for the mock services. validFor.start is far in the past: the mock
// stamps "now" in milliseconds while integratedTime is whole seconds (cosign-verify.md §5).
function trustedRoot(ca, tlogKey, ctlog, tsa) {
  const start = '2020-01-01T00:00:00Z';
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: 'https://rekor.local', hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(tlogKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: b64(sha256(tlogKey)) } }],
    certificateAuthorities: [{ subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
      uri: 'https://fulcio.local', certChain: { certificates: [{ rawBytes: b64(buf(ca.rootCertificate)) }] },
      validFor: { start } }],
    ctlogs: [{ baseUrl: 'https://ctfe.local', hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: b64(buf(ctlog.logID)) } }],
    timestampAuthorities: [{ subject: { organization: 'sigstore.mock', commonName: 'tsa' },
      uri: 'https://tsa.local', certChain: { certificates: [{ rawBytes: b64(buf(tsa.intCertificate)) },
        { rawBytes: b64(buf(tsa.rootCertificate)) }] }, validFor: { start } }],
  };
}

async function services(kp, { sct = true, lateBy = 0 } = {}) {
  const ctlog = await mock.initializeCTLog(kp);
  const ca = await mock.initializeCA(kp, sct ? ctlog : undefined);
  const tlog = await mock.initializeTLog('https://rekor.local', kp,
    lateBy ? new Date(Date.now() + lateBy * 1000) : undefined);
  const tsa = await mock.initializeTSA(kp);
  const s = await serve([mock.fulcioHandler(ca, { strict: true }), mock.rekorHandler(tlog, { strict: true }),
    mock.tsaHandler(tsa, { strict: true })]);
  return { kp, ctlog, ca, tlog, tsa, ...s };
}

function signer(svc, claims = { sub: ID, iss: ISSUER }) {
  return new sign.FulcioSigner({ fulcioBaseURL: svc.url,
    identityProvider: { getToken: async () => jwt(claims) } });
}

async function bundle(svc, kind, data, { tsa = false } = {}) {
  const witnesses = [new sign.RekorWitness({ rekorBaseURL: svc.url, entryType: kind === 'dsse' ? 'intoto' : undefined })];
  if (tsa) witnesses.push(new sign.TSAWitness({ tsaBaseURL: svc.url }));
  const opts = { signer: signer(svc), witnesses };
  const b = kind === 'dsse'
    ? await new sign.DSSEBundleBuilder(opts).create({ data, type: 'application/vnd.in-toto+json' })
    : await new sign.MessageSignatureBundleBuilder(opts).create({ data });
  return bundleToJSON(b);
}

// A legacy cosign `.sig` layer: simplesigning payload, signature, cert, chain, SET bundle.
async function legacy(svc, digest) {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': '127.0.0.1:5000/acct/img' },
    image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
  const sig = await signer(svc).sign(payload);
  const cert = sig.key.certificate;
  const entry = await svc.tlog.log({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: {
    data: { hash: { algorithm: 'sha256', value: sha256(payload).toString('hex') } },
    signature: { content: b64(sig.signature), publicKey: { content: b64(cert) } } } });
  const e = entry.body ? entry : Object.values(entry)[0];
  return { payload: payload.toString(), signature: b64(sig.signature), certificate: cert,
    chain: pem(buf(svc.ca.rootCertificate)),
    bundle: JSON.stringify({ SignedEntryTimestamp: e.verification.signedEntryTimestamp,
      Payload: { body: e.body, integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logID } }) };
}

function flipSig(b64sig) {
  const s = Buffer.from(b64sig, 'base64');
  s[s.length - 5] ^= 0x01;
  return b64(s);
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const kp = generateKeyPair('prime256v1');
  const good = await services(kp);
  const noSct = await services(kp, { sct: false });
  const late = await services(kp, { lateBy: 3600 });
  const other = await services(generateKeyPair('prime256v1'));
  const w = (name, data) => { fs.writeFileSync(path.join(out, name), data); return name; };
  w('trusted_root.json', JSON.stringify(trustedRoot(good.ca, good.tlog.publicKey, good.ctlog, good.tsa), null, 1));
  w('untrusted_root.json', JSON.stringify(trustedRoot(other.ca, other.tlog.publicKey, other.ctlog, other.tsa), null, 1));
  const artifact = crypto.randomBytes(4096);
  w('artifact', artifact);
  w('artifact-other', crypto.randomBytes(4096));
  const digest = 'sha256:' + sha256(artifact).toString('hex');
  const cases = [];
  const add = (c) => cases.push({ identity: ID, issuer: ISSUER, root: 'trusted_root.json', ...c });

  // v0.3 message-signature bundles.
  const msg = await bundle(good, 'message', artifact);
  w('msg.json', JSON.stringify(msg));
  add({ name: 'bundle ok', kind: 'bundle', file: 'msg.json', artifact: 'artifact', expect: true });
  add({ name: 'bundle ok (digest mode)', kind: 'bundle', file: 'msg.json', digest, expect: true });
  // @sigstore/sign 4 writes v0.2 with a one-certificate chain; v0.3 carries the leaf alone.
  const v3 = structuredClone(msg);
  v3.mediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
  v3.verificationMaterial.certificate = msg.verificationMaterial.x509CertificateChain.certificates[0];
  delete v3.verificationMaterial.x509CertificateChain;
  add({ name: 'bundle v0.3 ok', kind: 'bundle', file: w('msg-v3.json', JSON.stringify(v3)), artifact: 'artifact', expect: true });
  const flipped = structuredClone(msg);
  flipped.messageSignature.signature = flipSig(msg.messageSignature.signature);
  add({ name: 'bundle flipped signature byte', kind: 'bundle', file: w('msg-flip.json', JSON.stringify(flipped)), artifact: 'artifact', expect: false });
  const msg2 = await bundle(good, 'message', artifact);
  const swapped = structuredClone(msg);
  swapped.verificationMaterial.x509CertificateChain = msg2.verificationMaterial.x509CertificateChain;
  if (JSON.stringify(swapped) === JSON.stringify(msg)) throw new Error('swap did not change the bundle');
  add({ name: 'bundle swapped certificate', kind: 'bundle', file: w('msg-swap.json', JSON.stringify(swapped)), artifact: 'artifact', expect: false });
  add({ name: 'bundle wrong artifact', kind: 'bundle', file: 'msg.json', artifact: 'artifact-other', expect: false });
  add({ name: 'bundle integrated time outside validity', kind: 'bundle', file: w('msg-late.json', JSON.stringify(await bundle(late, 'message', artifact))), artifact: 'artifact', expect: false });
  add({ name: 'bundle missing SCT', kind: 'bundle', file: w('msg-nosct.json', JSON.stringify(await bundle(noSct, 'message', artifact))), artifact: 'artifact', expect: false });
  add({ name: 'bundle wrong identity', kind: 'bundle', file: 'msg.json', artifact: 'artifact', identity: ID + 'x', expect: false });
  add({ name: 'bundle wrong issuer', kind: 'bundle', file: 'msg.json', artifact: 'artifact', issuer: 'https://evil.example', expect: false });
  add({ name: 'bundle untrusted root', kind: 'bundle', file: 'msg.json', artifact: 'artifact', root: 'untrusted_root.json', expect: false });
  add({ name: 'bundle with TSA timestamp', kind: 'bundle', file: w('msg-tsa.json', JSON.stringify(await bundle(good, 'message', artifact, { tsa: true }))), artifact: 'artifact', expect: true });

  // DSSE attestation (in-toto statement about the artifact), Rekor dsse entry.
  const stmt = (d) => Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1',
    subject: [{ digest: { sha256: d } }], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} }));
  const dsse = await bundle(good, 'dsse', stmt(sha256(artifact).toString('hex')));
  w('dsse.json', JSON.stringify(dsse));
  add({ name: 'dsse ok', kind: 'bundle', file: 'dsse.json', artifact: 'artifact', expect: true });
  add({ name: 'dsse ok (digest mode)', kind: 'bundle', file: 'dsse.json', digest, expect: true });
  const dflip = structuredClone(dsse);
  dflip.dsseEnvelope.signatures[0].sig = flipSig(dsse.dsseEnvelope.signatures[0].sig);
  add({ name: 'dsse flipped signature byte', kind: 'bundle', file: w('dsse-flip.json', JSON.stringify(dflip)), artifact: 'artifact', expect: false });
  add({ name: 'dsse wrong subject', kind: 'bundle', file: 'dsse.json', artifact: 'artifact-other', expect: false });
  add({ name: 'dsse untrusted root', kind: 'bundle', file: 'dsse.json', artifact: 'artifact', root: 'untrusted_root.json', expect: false });
  // `--subject sha256:HEX`: cosign v3's image signature for that manifest digest (a DSSE
  // sign/v1 statement), for tests that attach it to an image as an OCI referrer.
  const subj = process.argv.indexOf('--subject');
  if (subj > 0) w('subject-dsse.json', JSON.stringify(await bundle(good, 'dsse', stmt(process.argv[subj + 1].replace(/^sha256:/, '')))));

  // Legacy `.sig` layers for an image manifest digest.
  const img = 'sha256:' + crypto.randomBytes(32).toString('hex');
  const L = (name, l, extra = {}) => add({ name, kind: 'legacy', file: w(name.replace(/\W+/g, '-') + '.json', JSON.stringify(l)), manifest: img, ...extra });
  const lg = await legacy(good, img);
  L('legacy ok', lg, { expect: true });
  L('legacy flipped signature byte', { ...lg, signature: flipSig(lg.signature) }, { expect: false });
  L('legacy swapped certificate', { ...lg, certificate: (await legacy(good, img)).certificate }, { expect: false });
  L('legacy wrong manifest digest', lg, { manifest: 'sha256:' + '0'.repeat(64), expect: false });
  L('legacy integrated time outside validity', await legacy(late, img), { expect: false });
  L('legacy missing SCT', await legacy(noSct, img), { expect: false });
  L('legacy wrong identity', lg, { identity: 'https://ci.example/other', expect: false });
  L('legacy wrong issuer', lg, { issuer: 'https://evil.example', expect: false });
  L('legacy untrusted root', lg, { root: 'untrusted_root.json', expect: false });

  w('cases.json', JSON.stringify(cases, null, 1));
  for (const s of [good, noSct, late, other]) s.srv.close();
})().catch((e) => { console.error(e); process.exit(1); });
