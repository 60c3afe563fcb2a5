// The stdout metric protocol: `@tunelab {"step": 3, "metrics": {"val_loss": 0.41}}` lines, and line splitting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, formatProtocolLine, parseProtocolLine } from '../../src/track/protocol.js';

describe('parseProtocolLine', () => {
  it('parses the documented line', () => {
    assert.deepEqual(parseProtocolLine('@tunelab {"step": 3, "metrics": {"val_loss": 0.41}}'),
      { kind: 'report', report: { step: 3, metrics: { val_loss: 0.41 } } });
  });

  it('accepts params, CRLF endings and Python\'s NaN/Infinity tokens', () => {
    const parsed = parseProtocolLine('@tunelab {"step": 0, "metrics": {"a": NaN, "b": Infinity, "c": -Infinity, "d": -1.5e-3}, "params": {"opt": "adam", "wd": 0}}\r');
    assert.equal(parsed.kind, 'report');
    if (parsed.kind !== 'report') return;
    assert.ok(Number.isNaN(parsed.report.metrics.a));
    assert.equal(parsed.report.metrics.b, Infinity);
    assert.equal(parsed.report.metrics.c, -Infinity);
    assert.equal(parsed.report.metrics.d, -0.0015);
    assert.deepEqual(parsed.report.params, { opt: 'adam', wd: 0 });
  });

  it('leaves NaN inside strings alone', () => {
    const parsed = parseProtocolLine('@tunelab {"step": 1, "metrics": {"x": 1}, "params": {"note": "NaN, Infinity"}}');
    assert.equal(parsed.kind === 'report' && parsed.report.params?.note, 'NaN, Infinity');
  });

  it('treats other lines as text', () => {
    for (const line of ['epoch 3 loss 0.4', '', ' @tunelab {"step": 1, "metrics": {}}', '@tunelabs {"step": 1}', 'x @tunelab {}']) {
      assert.deepEqual(parseProtocolLine(line), { kind: 'text' }, line);
    }
  });

  it('names what is wrong with a malformed report', () => {
    const cases: [string, RegExp][] = [
      ['@tunelab {"step": 3, "metrics": {"val_loss": 0.41}', /^not JSON/],
      ['@tunelab {"metrics": {"a": 1}}', /^step: /],
      ['@tunelab {"step": -1, "metrics": {"a": 1}}', /^step: /],
      ['@tunelab {"step": 1.5, "metrics": {"a": 1}}', /^step: /],
      ['@tunelab {"step": 1, "metrics": {"a": "0.4"}}', /^metrics\.a: /],
      ['@tunelab {"step": 1, "metrics": {"a": 1}, "loss": 2}', /loss/],
      ['@tunelab', /^not JSON/],
    ];
    for (const [line, error] of cases) {
      const parsed = parseProtocolLine(line);
      assert.equal(parsed.kind, 'invalid', line);
      if (parsed.kind === 'invalid') assert.match(parsed.error, error, line);
    }
  });

  it('round-trips formatProtocolLine, non-finite values included', () => {
    const line = formatProtocolLine(7, { loss: 0.25, 'val/acc': NaN, big: Infinity });
    assert.equal(line, '@tunelab {"step": 7, "metrics": {"loss": 0.25, "val/acc": NaN, "big": Infinity}}');
    const parsed = parseProtocolLine(line);
    assert.ok(parsed.kind === 'report' && parsed.report.step === 7 && Number.isNaN(parsed.report.metrics['val/acc']));
  });
});

describe('LineSplitter', () => {
  it('returns whole lines and counts their bytes, multi-byte characters split across chunks included', () => {
    const splitter = new LineSplitter();
    const text = Buffer.from('héllo\nwörld\npartial');
    const first = splitter.push(text.subarray(0, 2)); // splits the 2-byte é
    assert.deepEqual(first, { lines: [], consumed: 0 });
    const second = splitter.push(text.subarray(2));
    assert.deepEqual(second.lines, ['héllo', 'wörld']);
    assert.equal(second.consumed, Buffer.byteLength('héllo\nwörld\n'));
    assert.deepEqual(splitter.push(Buffer.from(' line\n')), { lines: ['partial line'], consumed: Buffer.byteLength('partial line\n') });
    splitter.push(Buffer.from('tail'));
    assert.deepEqual(splitter.flush(), { lines: ['tail'], consumed: 4 });
    assert.deepEqual(splitter.flush(), { lines: [], consumed: 0 });
  });
});
