import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { kernelModule } from '../../../src/logfile/simd.ts';

const WAT = new URL('../../../src/logfile/kernels.wat', import.meta.url);

test("the hand-assembled kernels are byte for byte what wabt's wat2wasm makes of kernels.wat", async () => {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('kernels.wat', readFileSync(WAT, 'utf8'), { simd: true });
  try {
    mod.resolveNames();
    mod.validate();
    const { buffer } = mod.toBinary({ log: false, write_debug_names: false });
    const ours = kernelModule(1);
    assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(buffer).toString('hex'));
  } finally {
    mod.destroy();
  }
});

test('kernels.wat exports what simd.ts promises', async () => {
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(kernelModule(1))).map((e) => `${e.kind}:${e.name}`);
  assert.deepEqual(exports, ['memory:mem', 'function:count', 'function:lower', 'function:find', 'function:findCount', 'function:findAnyCount']);
});
