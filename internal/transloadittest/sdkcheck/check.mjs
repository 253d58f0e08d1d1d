// Runs Transloadit's own Node SDK (transloadit@4.7.4) against the
// simulator and validates every Assembly Status, list item, upload and
// result the simulator serves with the zod schemas shipped in the SDK
// (dist/alphalib/types/assemblyStatus.js).
//
// Usage: node check.mjs <simulator binary>
// The binary is started with --auth-secret, so every request the SDK signs
// is verified. Exit code 0 when every check passed.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

import { ApiError, Transloadit } from 'transloadit'

const require = createRequire(import.meta.url)
// The schemas are not in the package's exports; load the file directly.
const sdkDist = dirname(require.resolve('transloadit'))
const schemas = await import(pathToFileURL(join(sdkDist, 'alphalib/types/assemblyStatus.js')).href)
const { assemblyStatusSchema, assemblyIndexItemSchema, assemblyStatusUploadSchema, assemblyStatusResultSchema } = schemas

const AUTH_KEY = 'sdkcheck-key'
const AUTH_SECRET = 'sdkcheck-secret'

let failures = 0
let validated = 0

function fail(what, detail) {
  failures++
  console.error(`FAIL ${what}: ${detail}`)
}

function check(cond, what, detail = '') {
  if (!cond) fail(what, detail)
}

function validate(schema, value, what) {
  validated++
  const res = schema.safeParse(value)
  if (!res.success) {
    fail(what, JSON.stringify(res.error.issues.slice(0, 5)))
  }
}

function validateStatus(st, what) {
  validate(assemblyStatusSchema, st, what)
  for (const u of st.uploads ?? []) validate(assemblyStatusUploadSchema, u, `${what} upload`)
  for (const [step, files] of Object.entries(st.results ?? {})) {
    for (const f of files) validate(assemblyStatusResultSchema, f, `${what} result ${step}`)
  }
}

async function startSimulator(bin) {
  const child = spawn(bin, ['--tick', '20ms', '--auth-secret', AUTH_SECRET], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)))
  })
  return { base: first.trim(), child }
}

// readStream reads an update stream to its end and returns its frames.
async function readStream(url) {
  const res = await fetch(url, { headers: { Accept: 'text/event-stream' } })
  check(res.status === 200, 'stream status', `${res.status}`)
  const text = await res.text()
  return text
    .split('\n\n')
    .filter((b) => b.length > 0)
    .map((block) => {
      const frame = {}
      for (const line of block.split('\n')) {
        const i = line.indexOf(':')
        frame[line.slice(0, i)] = line.slice(i + 1).replace(/^ /, '')
      }
      return frame
    })
}

function simParams(steps, sim = {}) {
  return { steps, x_sim: sim }
}

const importSteps = {
  imported: { robot: '/http/import', url: 'https://example.com/a.jpg' },
  resized: { robot: '/image/resize', use: 'imported' },
  stored: { robot: '/s3/store', use: ['imported', 'resized'] },
}

const uploadSteps = {
  ':original': { robot: '/upload/handle' },
  encoded: { robot: '/video/encode', use: ':original' },
  thumbs: { robot: '/video/thumbs', use: ':original' },
}
const simUploads = [
  { name: 'clip.mp4', size: 2_000_000 },
  { name: 'photo.jpg', size: 400_000 },
  { name: 'song.mp3', size: 3_000_000 },
]

async function main() {
  const { base, child } = await startSimulator(process.argv[2])
  const client = new Transloadit({ authKey: AUTH_KEY, authSecret: AUTH_SECRET, endpoint: base, validateResponses: true })
  try {
    // 1. createAssembly + awaitAssemblyCompletion, import only.
    const done = await client.createAssembly({ params: simParams(importSteps, { results: { imported: 2 } }), waitForCompletion: true })
    validateStatus(done, 'completed import Assembly')
    check(done.ok === 'ASSEMBLY_COMPLETED', 'import Assembly completed', done.ok)
    check(Object.keys(done.results).join() === 'imported,resized,stored', 'result steps in order', Object.keys(done.results).join())

    // 2. Uploads (simulated), progress polled fast: the SDK meets the 3/s
    // limit and must recover through info.retryIn.
    const created = await client.createAssembly({ params: simParams(uploadSteps, { uploads: simUploads }) })
    validateStatus(created, 'creation status')
    check(created.ok === 'ASSEMBLY_UPLOADING', 'created uploading', created.ok)
    const seenStates = new Set()
    const final = await client.awaitAssemblyCompletion(created.assembly_id, {
      interval: 50,
      onAssemblyProgress: (st) => {
        seenStates.add(st.ok)
        validateStatus(st, `polled status (${st.ok})`)
      },
    })
    validateStatus(final, 'final upload Assembly')
    check(final.ok === 'ASSEMBLY_COMPLETED', 'upload Assembly completed', final.ok)
    check(final.uploads.length === 3, 'three uploads', `${final.uploads.length}`)
    check(seenStates.has('ASSEMBLY_UPLOADING'), 'polling saw the Assembly running', [...seenStates].join())

    // 3. The rate-limit body itself.
    const url = final.assembly_ssl_url
    let limited = null
    for (let i = 0; i < 6 && !limited; i++) {
      const res = await fetch(url)
      if (res.status === 429) limited = { body: await res.json(), retryAfter: res.headers.get('retry-after') }
    }
    check(limited !== null, 'rate limit reached', 'no 429 in 6 quick requests')
    if (limited) {
      validate(assemblyStatusSchema, limited.body, '429 body')
      check(limited.body.error === 'ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED' && limited.body.info.retryIn > 0, '429 body code and retryIn', JSON.stringify(limited.body))
      check(Number(limited.retryAfter) >= 1, 'Retry-After header', limited.retryAfter)
    }

    // 4. The update stream: uploads, results and the end.
    const held = await client.createAssembly({
      params: { ...simParams(uploadSteps, { uploads: simUploads, start_on_stream: true }), emit_execution_progress: true },
    })
    const frames = await readStream(held.update_stream_url)
    check(frames[0].id === held.assembly_id, 'stream opens with the Assembly ID', JSON.stringify(frames[0]))
    check(frames.at(-1).data === 'assembly_finished', 'stream ends with assembly_finished', JSON.stringify(frames.at(-1)))
    for (const f of frames) {
      if (f.event === 'assembly_upload_finished') validate(assemblyStatusUploadSchema, JSON.parse(f.data), 'SSE upload')
      if (f.event === 'assembly_result_finished') {
        const [step, result] = JSON.parse(f.data)
        check(typeof step === 'string', 'SSE result step')
        validate(assemblyStatusResultSchema, result, `SSE result ${step}`)
      }
    }
    validateStatus(await client.getAssembly(held.assembly_id), 'status after the stream')

    // 5. Failures in every shape.
    for (const awkward of [{}, { error_in_200_ok_null: true }, { error_no_ok: true }, { system_error: true }]) {
      const what = `failure ${JSON.stringify(awkward)}`
      const st = await client.createAssembly({
        params: simParams(importSteps, { fail_step: 'resized', fail_code: 'IMAGE_RESIZE_VALIDATION', awkward, start_on_stream: true }),
      })
      const streamed = await readStream(st.update_stream_url)
      const last = streamed.at(-1)
      check(last.event === 'assembly_error', `${what}: stream ends with assembly_error`, JSON.stringify(last))
      validateStatus(JSON.parse(last.data), `${what}: assembly_error payload`)
      try {
        const res = await client.awaitAssemblyCompletion(st.assembly_id, { interval: 400 })
        validateStatus(res, `${what}: final status`)
        check(awkward.system_error || res.error === 'IMAGE_RESIZE_VALIDATION', `${what}: error code`, res.error)
      } catch (err) {
        // Without an awkward flag the status is served with HTTP 400.
        check(err instanceof ApiError && err.code === 'IMAGE_RESIZE_VALIDATION', `${what}: ApiError`, String(err))
        if (err.cause?.response?.body) validateStatus(err.cause.response.body, `${what}: error body`)
      }
    }

    // 6. Cancel.
    const toCancel = await client.createAssembly({ params: simParams(uploadSteps, { uploads: simUploads, start_on_stream: true }) })
    const canceled = await client.cancelAssembly(toCancel.assembly_id)
    validateStatus(canceled, 'cancel answer')
    check(canceled.ok === 'ASSEMBLY_CANCELED', 'canceled', canceled.ok)

    // 7. Awkward successful shapes.
    const awk = await client.createAssembly({
      params: simParams(uploadSteps, { uploads: simUploads, awkward: { null_bytes_expected: true, no_update_stream_url: true } }),
      waitForCompletion: true,
    })
    validateStatus(awk, 'null bytes_expected, no update_stream_url')
    check(awk.bytes_expected === null && awk.update_stream_url === undefined, 'awkward members', `${awk.bytes_expected} ${awk.update_stream_url}`)

    // 8. List (the SDK validates items itself with validateResponses).
    const list = await client.listAssemblies({ pagesize: 50 })
    check(list.count === 9 && list.items.length === 9, 'list count (every Assembly created above)', `${list.count} ${list.items.length}`)
    for (const it of list.items) validate(assemblyIndexItemSchema, it, 'list item')

    // 9. Errors the SDK surfaces as ApiError.
    try {
      await client.getAssembly('0123456789abcdef0123456789abcdef')
      fail('unknown Assembly', 'no error')
    } catch (err) {
      check(err instanceof ApiError && err.code === 'ASSEMBLY_NOT_FOUND', 'unknown Assembly is ASSEMBLY_NOT_FOUND', String(err))
    }
    const wrong = new Transloadit({ authKey: AUTH_KEY, authSecret: 'not-the-secret', endpoint: base })
    try {
      await wrong.createAssembly({ params: simParams(importSteps) })
      fail('wrong secret', 'no error')
    } catch (err) {
      check(err instanceof ApiError && err.code === 'INVALID_SIGNATURE', 'wrong secret is INVALID_SIGNATURE', String(err))
    }
  } finally {
    child.kill('SIGTERM')
  }
  console.log(`sdk-check: ${validated} objects validated against transloadit@4.7.4's schemas, ${failures} failures`)
  process.exit(failures === 0 ? 0 : 1)
}

main().catch((err) => {
  console.error('sdk-check crashed:', err)
  process.exit(2)
})
