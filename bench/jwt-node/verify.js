// The aws-jwt-verify side of akua-bench's JWT comparison.
//
// Usage: node verify.js INPUT.json
//
// INPUT holds the issuer, audience, JWKS and tokens the Rust verifier is
// given in the same run. The JWKS goes straight into the verifier's cache
// (cacheJwks), so no network is involved. Each token set is verified in a
// loop for a fixed time, with both `verify` (async, what a Node authorizer
// awaits) and `verifySync`; the result is one JSON object on stdout.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { performance } = require("node:perf_hooks");
const { JwtVerifier } = require("aws-jwt-verify");

const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));

// The same checks as the Rust verifier: iss, aud, exp and nbf with 60 s of
// leeway, and a non-empty `sub`.
const verifier = JwtVerifier.create({
  issuer: input.issuer,
  audience: input.audience,
  jwksUri: input.jwks_uri,
  graceSeconds: 60,
  customJwtCheck: ({ payload }) => {
    if (typeof payload.sub !== "string" || payload.sub.length === 0) {
      throw new Error("sub is required");
    }
  },
});
verifier.cacheJwks(input.jwks);

// Checks the clock every CHUNK verifications, so reading it costs little.
const CHUNK = 64;

async function measureAsync(tokens, seconds) {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < CHUNK; i++) {
      await verifier.verify(tokens[count % tokens.length]);
      count++;
    }
  }
  return count / ((performance.now() - start) / 1000);
}

function measureSync(tokens, seconds) {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < CHUNK; i++) {
      verifier.verifySync(tokens[count % tokens.length]);
      count++;
    }
  }
  return count / ((performance.now() - start) / 1000);
}

async function main() {
  const library = JSON.parse(
    fs.readFileSync(
      path.join(__dirname, "node_modules", "aws-jwt-verify", "package.json"),
      "utf8",
    ),
  ).version;
  const results = {};
  for (const [alg, tokens] of Object.entries(input.tokens)) {
    // Every token must verify before anything is timed.
    for (const t of tokens) {
      await verifier.verify(t);
    }
    await measureAsync(tokens, input.warmup_seconds);
    const asyncRate = await measureAsync(tokens, input.seconds);
    measureSync(tokens, input.warmup_seconds);
    const syncRate = measureSync(tokens, input.seconds);
    results[alg] = { verify_per_sec: asyncRate, verify_sync_per_sec: syncRate };
  }
  process.stdout.write(
    JSON.stringify({ node: process.version, aws_jwt_verify: library, results }) + "\n",
  );
}

main().catch((e) => {
  process.stderr.write(`verify.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
