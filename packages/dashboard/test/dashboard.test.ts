// End-to-end: the built dashboard in headless chromium against a seeded store served by `tunelab ui`.
// Expected counts come from the seed plan (seed.ts), not from the page's own data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './browser.js';
import { TRIALS, terminationReason, valLoss } from '../../tunelab/test/server/seed.js';

let h: Harness;

/** Trials that have a run (so a curve): everything but the queued one. */
const STARTED = TRIALS.filter((t) => t.end !== 'queued').length;

before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

// What the page exposes for tests: the chart instances its components keep on their holder elements.
interface UPlotLike {
  series: { label?: string }[];
  data: (number | null)[][];
  over: HTMLElement;
  valToPos(value: number, scale: string): number;
}
interface EChartsLike {
  getOption(): { series: { data: unknown[] }[]; xAxis: { type: string }[] };
}
type Holder = HTMLElement & { __uplot?: UPlotLike; __echarts?: EChartsLike };

async function waitForSeries(page: Harness['page'], testId: string, count: number): Promise<void> {
  await page.waitForFunction(([id, n]) => {
    const u = (document.querySelector(`[data-testid="${id}"] > div`) as Holder | null)?.__uplot;
    return u !== undefined && u.series.length === n;
  }, [testId, count] as const);
}

async function drawnPoints(page: Harness['page'], testId: string): Promise<number> {
  return page.evaluate((id) => Number((document.querySelector(`[data-testid="${id}"] > div`) as HTMLElement).dataset.points), testId);
}

describe('sweep page', () => {
  test('draws one curve per started trial, and the scatter and parallel coordinates with one mark per trial', async () => {
    const { page } = h;
    await page.goto(`${h.server.url}/sweeps/${h.seeded.sweepId}`);
    await waitForSeries(page, 'sweep-curves', STARTED + 1);
    const labels = await page.evaluate(() => (document.querySelector('[data-testid="sweep-curves"] > div') as Holder).__uplot!.series.slice(1).map((s) => s.label ?? ''));
    assert.equal(labels.length, STARTED);
    assert.equal(labels.filter((label) => label.includes('terminated early')).length, TRIALS.filter((t) => t.end === 'terminated').length);
    assert.equal(labels.filter((label) => label.includes('best trial')).length, 1);
    // Every reported step is drawn: the curves hold exactly the seeded points.
    assert.equal(await drawnPoints(page, 'sweep-curves'), TRIALS.reduce((sum, t) => sum + t.steps, 0));

    // Scatter: one point per trial with a value (every started trial), split across status series.
    const scatter = await page.waitForFunction(() => {
      const chart = (document.querySelector('[data-testid="sweep-scatter"]') as Holder | null)?.__echarts;
      return chart ? { points: chart.getOption().series.reduce((n, s) => n + s.data.length, 0), xAxis: chart.getOption().xAxis[0].type } : null;
    });
    assert.deepEqual(await scatter.jsonValue(), { points: STARTED, xAxis: 'log' }, 'learning_rate is loguniform: a log x axis');
    const lines = await page.evaluate(() => (document.querySelector('[data-testid="sweep-parallel"]') as Holder).__echarts!.getOption().series[0].data.length);
    assert.equal(lines, STARTED);

    assert.match(await page.getByTestId('progress').innerText(), /5 \/ 8/);
    await h.screenshot('sweep-page');
  });

  test('a terminated trial shows the policy reason on hover and in the trial table', async () => {
    const { page } = h;
    const terminated = TRIALS.findIndex((t) => t.end === 'terminated');
    const reason = terminationReason(terminated, TRIALS[terminated].steps);
    const cell = page.locator(`[data-testid="trials-table"] tr[data-trial="${terminated}"] [data-testid="trial-reason"]`);
    assert.equal(await cell.innerText(), reason);

    // Hover the last point of that trial's curve: the tooltip names the trial and the reason.
    const position = await page.evaluate(([trial, step, value]) => {
      const u = (document.querySelector('[data-testid="sweep-curves"] > div') as Holder).__uplot!;
      const s = u.series.findIndex((x) => x.label?.startsWith(`Trial #${trial} `));
      const rect = u.over.getBoundingClientRect();
      return { x: rect.left + u.valToPos(step, 'x'), y: rect.top + u.valToPos(value, 'y'), s };
    }, [terminated, TRIALS[terminated].steps, valLoss(terminated, TRIALS[terminated].steps)] as const);
    assert.ok(position.s > 0, 'the terminated trial has a curve');
    await page.mouse.move(position.x, position.y);
    const tip = page.locator('[data-testid="sweep-curves"] .chart-tip');
    await tip.waitFor({ state: 'visible' });
    const text = await tip.innerText();
    assert.match(text, new RegExp(`Trial #${terminated}`));
    assert.ok(text.includes(reason), `tooltip shows the reason; got: ${text}`);
    await h.screenshot('sweep-terminated-tooltip');
  });

  test('a metric written to the store during the test appears without reload', async () => {
    const { page, seeded } = h;
    const running = TRIALS.findIndex((t) => t.end === 'running');
    const runId = seeded.trialRunIds[running]!;
    const nextStep = TRIALS[running].steps + 1;
    await page.mouse.move(0, 0); // no tooltip over the screenshot
    const before = await drawnPoints(page, 'sweep-curves');
    await seeded.store.appendMetrics(runId, [{ name: 'val_loss', step: nextStep, value: valLoss(running, nextStep) }]);
    await page.waitForFunction((n) => Number((document.querySelector('[data-testid="sweep-curves"] > div') as HTMLElement).dataset.points) === n, before + 1, { timeout: 10_000 });
    const drawn = await page.evaluate(([trial, step]) => {
      const u = (document.querySelector('[data-testid="sweep-curves"] > div') as Holder).__uplot!;
      const s = u.series.findIndex((x) => x.label?.startsWith(`Trial #${trial} `));
      return u.data[s][u.data[0].indexOf(step)];
    }, [running, nextStep] as const);
    assert.equal(drawn, valLoss(running, nextStep));
    await h.screenshot('sweep-live-update');
  });
});

describe('sweep page brushing', () => {
  test('brushing the learning-rate axis keeps a top range of trials and filters the trial table to it', async () => {
    const { page } = h;
    const chart = page.getByTestId('sweep-parallel');
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    // The first axis sits at the grid's left edge (parallel.left = 60, top = 46 in sweepCharts.ts).
    await page.mouse.move(box.x + 60, box.y + 50);
    await page.mouse.down();
    await page.mouse.move(box.x + 60, box.y + 150, { steps: 5 });
    await page.mouse.up();
    // The label and the table follow the brush in a render after mouse-up: wait for both.
    const label = await page.getByTestId('brush-count').filter({ hasText: /trials selected$/ }).innerText();
    const match = /^(\d+) of (\d+) trials selected$/.exec(label);
    assert.ok(match, `brush label: ${label}`);
    const selected = Number(match[1]);
    assert.equal(Number(match[2]), STARTED);
    assert.ok(selected > 0 && selected < STARTED, `a strict subset is selected (${selected})`);
    const rows = page.getByTestId('trials-table').locator('tbody tr');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="trials-table"] tbody tr').length === n, selected);
    assert.equal(await rows.count(), selected);
    // The top of a log axis holds the largest learning rates: every kept trial's lr beats every dropped one's.
    const kept = (await rows.evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.trial))));
    const lrs = TRIALS.map((t) => t.learningRate);
    const dropped = TRIALS.map((t, i) => i).filter((i) => TRIALS[i].end !== 'queued' && !kept.includes(i));
    assert.ok(Math.min(...kept.map((i) => lrs[i])) > Math.max(...dropped.map((i) => lrs[i])), `kept ${kept} dropped ${dropped}`);
    await h.screenshot('sweep-brushed');
  });
});

describe('run page', () => {
  test('shows curves, params, artifacts and logs as text; new log lines follow live', async () => {
    const { page, seeded } = h;
    await page.goto(`${h.server.url}/runs/${seeded.runs.completed}`);
    await waitForSeries(page, 'chart-train/loss', 3);
    assert.match(await page.getByTestId('params').innerText(), /learning_rate\s+2e-5/);
    const artifacts = await page.getByTestId('artifacts').innerText();
    assert.match(artifacts, /checkpoint\/config\.json/);
    assert.match(artifacts, /predictions\.csv/);
    const logs = page.getByTestId('logs');
    assert.match(await logs.innerText(), /warning: <script>alert\(1\)<\/script>/);
    assert.equal(await logs.locator('script').count(), 0, 'log text is never parsed as HTML');
    await h.screenshot('run-completed');

    // Arriving with the printed URL's fragment: the token is kept and removed from the address bar.
    await page.goto(`${h.server.url}/runs/${seeded.runs.running}#token=${h.server.token}`);
    await waitForSeries(page, 'chart-train/loss', 3);
    assert.ok(!page.url().includes('token'), `token left in the URL: ${page.url()}`);
    await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor();
    await seeded.store.appendLog(seeded.runs.running, 'stdout', 'step 21: loss 0.047\n');
    await seeded.store.appendMetrics(seeded.runs.running, [{ name: 'train/loss', step: 21, value: 1 / 21 }]);
    await page.getByTestId('logs').getByText('step 21: loss 0.047').waitFor({ timeout: 10_000 });
    await page.getByTestId('metric-train/loss').getByTestId('last-value').getByText('@ 21').waitFor({ timeout: 10_000 });
    await h.screenshot('run-live');

    // Stop goes through the API with the token and lands in the store for whoever runs the run.
    await page.getByRole('button', { name: 'Stop run' }).click();
    await page.locator('.badge.stopping').first().waitFor({ timeout: 10_000 });
    assert.equal((await seeded.store.getRun(seeded.runs.running)).stopRequested, 'stopped from the dashboard');
  });
});

describe('sweep curves axis', () => {
  test('the x axis is labelled, and an epoch axis places each trial by its own epochs', async () => {
    const { page, seeded } = h;
    const running = seeded.trialRunIds[TRIALS.findIndex((t) => t.end === 'running')]!;
    await seeded.store.appendMetrics(running, [1, 2, 3, 4, 5].map((step) => ({ name: 'epoch', step, value: step / 5 })));
    await page.goto(`${h.server.url}/sweeps/${seeded.sweepId}`);
    await waitForSeries(page, 'sweep-curves', STARTED + 1);
    const axis = () => page.evaluate(() => {
      const u = (document.querySelector('[data-testid="sweep-curves"] > div') as Holder).__uplot as unknown as { axes: { label?: string }[]; series: { label?: string }[]; data: (number | null)[][] };
      const index = u.series.findIndex((s) => (s.label ?? '').startsWith('Trial #5'));
      return { label: u.axes[0].label, xs: u.data[0].filter((_, i) => u.data[index][i] !== null && u.data[index][i] !== undefined) };
    });
    assert.equal((await axis()).label, 'optimizer step');
    await page.getByRole('group', { name: 'x axis' }).getByRole('button', { name: 'epoch' }).click();
    await page.waitForFunction(() => ((document.querySelector('[data-testid="sweep-curves"] > div') as Holder).__uplot as unknown as { axes: { label?: string }[] }).axes[0].label === 'epoch');
    await page.waitForFunction(() => Number((document.querySelector('[data-testid="sweep-curves"] > div') as HTMLElement).dataset.points) >= 5);
    const onEpochs = await axis();
    assert.deepEqual(onEpochs.xs.slice(0, 5), [0.2, 0.4, 0.6, 0.8, 1]);
    await page.getByRole('group', { name: 'x axis' }).getByRole('button', { name: 'step' }).click(); // the choice is remembered: put it back
  });
});

describe('run page readability', () => {
  test('summaries are numbers, eval curves unsmoothed, a flat 0 has a range around 0, the git hash fits its card', async () => {
    const { page, seeded } = h;
    const run = await seeded.store.createRun({
      experiment: 'glue-mrpc', name: 'readable', command: 'tunelab train --model m', gitCommit: 'f'.repeat(40),
    });
    await seeded.store.appendMetrics(run.id, [
      ...[1, 2, 3, 4].map((step) => ({ name: 'train_loss', step, value: [1, 0.2, 0.9, 0.1][step - 1] })),
      ...[2, 4].map((step) => ({ name: 'eval_f1', step, value: 0 })),
      ...[2, 4].map((step) => ({ name: 'eval_accuracy', step, value: step === 2 ? 0.5 : 0.715 })),
      ...[1, 2, 3, 4].map((step) => ({ name: 'epoch', step, value: step / 2 })),
      { name: 'best_step', step: 4, value: 4 },
    ]);
    await seeded.store.setRunStatus(run.id, 'completed', { exitCode: 0 });
    await page.goto(`${h.server.url}/runs/${run.id}`);
    await waitForSeries(page, 'chart-eval_f1', 2);
    // best_step and epoch: numbers, no charts
    assert.match(await page.getByTestId('scalar-best_step').innerText(), /best_step\s+4\s+step 4/);
    assert.match(await page.getByTestId('scalar-epoch').innerText(), /epoch\s+2\s+step 4/);
    assert.equal(await page.getByTestId('chart-best_step').count(), 0);
    assert.equal(await page.getByTestId('chart-epoch').count(), 0);
    // eval_accuracy is drawn as logged (one series, no smoothed copy): 0.715 reads 0.715
    const accuracy = await page.evaluate(() => (document.querySelector('[data-testid="chart-eval_accuracy"] > div') as Holder).__uplot!.data.slice(1));
    assert.deepEqual(accuracy, [[0.5, 0.715]]);
    // train_loss is smoothed (raw + smoothed series)
    await waitForSeries(page, 'chart-train_loss', 3);
    // a series that is 0 throughout: the axis is around 0, not 0–100
    const range = await page.evaluate(() => {
      const u = (document.querySelector('[data-testid="chart-eval_f1"] > div') as Holder).__uplot as unknown as { scales: { y: { min: number; max: number } } };
      return [u.scales.y.min, u.scales.y.max];
    });
    assert.deepEqual(range, [-1, 1]);
    const overflow = await page.getByTestId('git-commit').evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(overflow <= 0, `the git hash overflows its card by ${overflow}px`);
    await h.screenshot('run-readable');
  });
});

describe('runs table and compare', () => {
  test('filters by status, selects two runs and compares their params', async () => {
    const { page, seeded } = h;
    await page.goto(`${h.server.url}/`);
    const table = page.getByTestId('runs-table');
    await table.locator(`tr[data-run-id="${seeded.runs.completed}"]`).waitFor();
    await page.locator('label.inline', { hasText: 'failed' }).locator('input').check();
    // A new filter empties the table until its rows arrive: once the completed run's row is gone, wait for the
    // failed run's row to come back before counting.
    await table.locator(`tr[data-run-id="${seeded.runs.completed}"]`).waitFor({ state: 'detached' });
    await table.locator(`tr[data-run-id="${seeded.runs.failed}"]`).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);
    await page.locator('label.inline', { hasText: 'failed' }).locator('input').uncheck();
    await table.locator(`tr[data-run-id="${seeded.runs.completed}"]`).waitFor();
    await h.screenshot('runs-table');

    await table.locator(`tr[data-run-id="${seeded.runs.completed}"] input[type=checkbox]`).check();
    await table.locator(`tr[data-run-id="${seeded.runs.failed}"] input[type=checkbox]`).check();
    await page.getByTestId('compare-button').click();
    const diff = page.getByTestId('param-diff');
    await diff.waitFor();
    const differing = await diff.locator('tr[data-differs="true"] td:first-child').allInnerTexts();
    assert.deepEqual(differing.sort(), ['batch_size', 'learning_rate']);
    await waitForSeries(page, 'compare-train/loss', 3);
    await h.screenshot('compare');
  });

  test('run names and tags are shown as text, never as markup', async () => {
    const { page, seeded } = h;
    const hostile = '<img src=x onerror="alert(1)">';
    const run = await seeded.store.createRun({ experiment: 'glue-mrpc', name: hostile, tags: ['<script>alert(2)</script>'] });
    await page.goto(`${h.server.url}/`);
    const row = page.getByTestId('runs-table').locator(`tr[data-run-id="${run.id}"]`);
    await row.waitFor();
    assert.equal(await row.locator('a').first().innerText(), hostile);
    assert.equal(await row.locator('img, script').count(), 0);
    await page.goto(`${h.server.url}/runs/${run.id}`);
    assert.equal(await page.getByTestId('run-name').innerText(), hostile);
  });

  test('no console errors, CSP violations or dialogs on any page', () => {
    assert.deepEqual(h.errors, []);
  });
});
