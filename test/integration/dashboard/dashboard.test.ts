/**
 * The dashboard end to end: a real Reflow with a project (createReflow + buildServer), CSV uploads through the store,
 * the pipeline's own events, and the page in a real headless Chromium driven over the DevTools protocol. What the
 * page shows is compared with what the API answers, not with numbers written here. Without Chromium the suite fails
 * under CI=true and is skipped with its reason elsewhere.
 */
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium, launchBrowser, type Browser, type Page } from './browser.js';
import { DATASET, readingsCsv, startDashboardReflow, type DashboardReflow } from './fixture.js';
import type { DatasetSummary } from '../../../src/pipeline/api.js';
import type { DatasetVersion, StoredQualityReport } from '../../../src/catalog/types.js';

const SCREENSHOT = process.env.REFLOW_DASHBOARD_SCREENSHOT ?? '/tmp/dashboard.png';
const NO_CHROMIUM =
  "no Chromium found: install Debian's package (apt-get install -y --no-install-recommends chromium) or set REFLOW_CHROMIUM to a Chrome/Chromium binary";

const ds = `document.querySelector('[data-dataset="${DATASET}"]')`;
const text = (selector: string) => `(document.querySelector(${JSON.stringify(selector)})?.innerText ?? '')`;

async function summaryOf(r: DashboardReflow): Promise<DatasetSummary> {
  const res = await fetch(`${r.endpoint}/reflow/v1/datasets/${DATASET}`);
  assert.equal(res.status, 200);
  return (await res.json()) as DatasetSummary;
}

async function versionsOf(r: DashboardReflow): Promise<DatasetVersion[]> {
  return ((await (await fetch(`${r.endpoint}/reflow/v1/datasets/${DATASET}/versions`)).json()) as { versions: DatasetVersion[] }).versions;
}

async function noExceptions(page: Page): Promise<void> {
  assert.deepEqual(page.exceptions, [], 'uncaught exceptions in the page');
}

const chromium = findChromium();

if (!chromium) {
  if (process.env.CI === 'true') {
    test('dashboard end to end in Chromium', () => assert.fail(`${NO_CHROMIUM}; under CI=true this suite must run`));
  } else {
    process.stderr.write(`SKIP test/integration/dashboard: ${NO_CHROMIUM}\n`);
    test('dashboard end to end in Chromium', { skip: NO_CHROMIUM }, () => {});
  }
} else {
  describe('dashboard end to end in Chromium', () => {
    let browser: Browser;
    let page: Page;
    before(async () => {
      browser = await launchBrowser(chromium);
      page = browser.page;
    });
    after(async () => {
      await browser?.close();
    });

    describe('a project with data', () => {
      let reflow: DashboardReflow;
      before(async () => {
        reflow = await startDashboardReflow();
        await reflow.put('uploads/alice/lab-a/s01.csv', readingsCsv({ seed: 1 }));
        await reflow.put('uploads/alice/lab-a/s02.csv', readingsCsv({ seed: 2 }));
        await reflow.put('uploads/bob/lab-b/s01.csv', readingsCsv({ seed: 3, base: 18 }));
        await reflow.put('uploads/bob/lab-b/s02.csv', readingsCsv({ seed: 4, hot: true }));
        await reflow.settle();
      });
      after(async () => {
        await reflow?.close();
      });

      it('shows the dataset, its consistent version, splits, quality, runs and the alert for the bad file', async () => {
        const summary = await summaryOf(reflow);
        const versions = await versionsOf(reflow);
        const current = versions.find((v) => v.version === summary.currentVersion)!;
        assert.ok(current, 'a version is published');

        // /dashboard redirects to /dashboard/, which the browser follows.
        await page.goto(`${reflow.endpoint}/dashboard`);
        assert.equal(await page.evaluate('location.pathname'), '/dashboard/');
        const headline = await page.waitFor<string>(
          `${text(`[data-dataset="${DATASET}"] [data-testid="consistency"]`)}.includes('v${current.version} consistent') && ${text(`[data-dataset="${DATASET}"] [data-testid="consistency"]`)}`,
          `the headline of v${current.version}`,
        );
        assert.match(headline, new RegExp(`v${current.version} consistent, ${current.items}/${current.items} items built by\\s*${current.transformVersion.replace('+', '\\+')}; ${summary.stale} stale`));
        assert.equal(await page.evaluate(`${ds}.querySelector('h2').innerText`), DATASET);
        assert.equal(await page.evaluate(text('#project')), 'dashdemo · 1 dataset');

        // The bad file's alert: file, contributor and the reason the check gave.
        const alerts = await page.waitFor<Array<{ key: string; text: string }>>(
          `(() => { const a = [...${ds}.querySelectorAll('.alert')].map((e) => ({ key: e.dataset.key, text: e.innerText })); return a.length ? a : null })()`,
          'the alerts',
        );
        assert.deepEqual(alerts.map((a) => a.key), ['uploads/bob/lab-b/s02.csv']);
        assert.match(alerts[0]!.text, /bob/);
        assert.match(alerts[0]!.text, /temperature in °C: temperature_c: 1 of 60 values \(1\.7 %\) outside \[-40, 60\], first 95\.5 at row 31/);

        const tiles = await page.evaluate<Record<string, string>>(
          `Object.fromEntries([...${ds}.querySelectorAll('.tile')].map((t) => [t.querySelector('.tile-label').innerText, t.querySelector('.tile-value').innerText]))`,
        );
        assert.equal(tiles['current version'], `v${current.version}`);
        assert.equal(tiles['items'], String(current.items));
        assert.equal(tiles['rejected'], String(summary.rejected));
        assert.equal(tiles['stale'], String(summary.stale));

        const contributors = await page.evaluate<string[][]>(`[...${ds}.querySelectorAll('tr[data-contributor]')].map((r) => [...r.cells].slice(0, 3).map((c) => c.innerText))`);
        assert.deepEqual(contributors, [
          ['bob', '1', '1'],
          ['alice', '2', '0'],
        ]);

        const splits = await page.evaluate<string[][]>(`[...${ds}.querySelectorAll('[data-panel="splits"] tr')].map((r) => [...r.cells].slice(0, 2).map((c) => c.innerText.trim()))`);
        assert.deepEqual(
          splits.filter(([, n]) => n !== '0'),
          Object.entries(current.splits).sort((a, b) => ['train', 'test', 'holdout'].indexOf(a[0]) - ['train', 'test', 'holdout'].indexOf(b[0])).map(([k, n]) => [k, String(n)]),
        );

        // One bar per published version in the timeline.
        assert.equal(await page.evaluate(`${ds}.querySelectorAll('.timeline rect.bar').length`), versions.length);

        // Runs: every object's run, newest first, with its status and step timings.
        const runs = await page.evaluate<string[][]>(`[...${ds}.querySelectorAll('tr[data-run]')].map((r) => [r.cells[1].innerText, r.cells[2].innerText])`);
        assert.equal(runs.length, 4);
        assert.deepEqual(runs.filter(([, st]) => st === 'rejected').map(([k]) => k), ['uploads/bob/lab-b/s02.csv']);

        // Distributions: the latest passed run's columns, one histogram bar per bin of its quality report.
        const picked = await page.waitFor<string>(`${ds}.querySelector('.column[data-column="temperature_c"]') && ${ds}.querySelector('.distributions select').value`, 'the histograms');
        const [bucketKey, versionId] = picked.split('@') as [string, string];
        const slash = bucketKey.indexOf('/');
        const reportRes = await fetch(
          `${reflow.endpoint}/reflow/v1/datasets/${DATASET}/quality?bucket=${bucketKey.slice(0, slash)}&key=${encodeURIComponent(bucketKey.slice(slash + 1))}&versionId=${versionId}`,
        );
        const stored = (await reportRes.json()) as StoredQualityReport;
        assert.equal(stored.passed, true, 'the default pick is a passed file');
        const columns = (stored.report as { columns: Record<string, { histogram: { counts: number[] } }> }).columns;
        for (const column of ['temperature_c', 'humidity', 'timestamp']) {
          const bars = await page.evaluate(`${ds}.querySelectorAll('.column[data-column="${column}"] rect.hist-bar').length`);
          assert.equal(bars, columns[column]!.histogram.counts.length, column);
        }
        assert.equal(await page.evaluate(`${ds}.querySelectorAll('.checks li.pass').length`), 5);
        assert.equal(await page.evaluate(`document.getElementById('live').dataset.state`), 'live');
        assert.equal(await page.evaluate(`document.getElementById('banner').hidden`), true);
        await noExceptions(page);
      });

      it('picking the bad file shows its failed check and its histogram', async () => {
        const value = await page.evaluate<string>(`[...${ds}.querySelectorAll('.distributions option')].find((o) => o.value.includes('lab-b/s02.csv')).value`);
        await page.evaluate(`(() => { const s = ${ds}.querySelector('.distributions select'); s.value = ${JSON.stringify(value)}; s.dispatchEvent(new Event('change')); })()`);
        const failed = await page.waitFor<string>(`${text(`[data-dataset="${DATASET}"] .checks li.fail`)}`, "the bad file's failed check");
        assert.match(failed, /temperature in °C/);
        assert.match(await page.evaluate<string>(text(`[data-dataset="${DATASET}"] .report-head`)), /failed/);
        assert.match(await page.evaluate<string>(text(`[data-dataset="${DATASET}"] .column[data-column="temperature_c"] .stats`)), /max\s*95\.5/);
        await noExceptions(page);
      });

      it('updates from the event tail as files arrive, without reloading the page', async () => {
        await page.evaluate('window.__reflowMarker = "same page"');
        await reflow.put('uploads/bob/lab-c/s03.csv', readingsCsv({ seed: 5, rows: 5 }));
        await reflow.put('uploads/alice/lab-a/s03.csv', readingsCsv({ seed: 6 }));
        // The new alert shows up by itself: nothing here asks the page to refresh.
        await page.waitFor(`${ds}.querySelector('.alert[data-key="uploads/bob/lab-c/s03.csv"]')`, 'the alert for the short file');
        await reflow.settle();
        const summary = await summaryOf(reflow);
        await page.waitFor(`${text(`[data-dataset="${DATASET}"] [data-testid="consistency"]`)}.includes('v${summary.currentVersion} consistent')`, `v${summary.currentVersion}`);
        const events = await page.evaluate<string>(text('#events'));
        assert.match(events, /Quality Check Failed/);
        assert.match(events, /Dataset Version Published/);
        assert.equal(await page.evaluate('window.__reflowMarker'), 'same page');
        assert.equal(await page.evaluate(`document.getElementById('live').dataset.state`), 'live');
        const alert = await page.evaluate<string>(text(`.alert[data-key="uploads/bob/lab-c/s03.csv"]`));
        assert.match(alert, /at least 20 rows: 5 rows, expected at least 20/);
        await noExceptions(page);
      });

      it('shows a running rebuild with its progress, then the switch of transform version in the timeline', async () => {
        const before = await summaryOf(reflow);
        // The new transform's jobs wait for this file: the rebuild stays running while the page is looked at.
        const gate = join(reflow.projectDir, 'release-rebuild');
        await reflow.changeTransform('second', gate);
        const running = await summaryOf(reflow);
        assert.equal(running.rebuild?.state, 'RUNNING');
        const progress = await page.waitFor<string>(text(`[data-dataset="${DATASET}"] .progress[aria-label="items rebuilt"]`), 'the rebuild progress bar');
        assert.match(progress, new RegExp(`items rebuilt\\s*0/${running.rebuild!.staleAtStart}`));
        assert.match(await page.evaluate<string>(text(`[data-dataset="${DATASET}"] .ds-head`)), new RegExp(`rebuilding[\\s\\S]*v${before.currentVersion} consistent.*rebuilding with ${running.rebuild!.toTransformVersion.replace('+', '\\+')}: 0/${running.rebuild!.staleAtStart}`));
        writeFileSync(gate, '');
        await reflow.settle();
        const after = await summaryOf(reflow);
        const tv = after.pipeline!.transformVersion;
        assert.notEqual(tv, before.currentTransformVersion);
        assert.equal(after.rebuild?.state, 'COMPLETED');
        assert.equal(after.currentTransformVersion, tv);
        await page.waitFor(`${text(`[data-dataset="${DATASET}"] [data-testid="consistency"]`)}.includes('v${after.currentVersion} consistent')`, `the rebuilt v${after.currentVersion}`);
        const switches = await page.waitFor<string[]>(
          `(() => { const s = [...${ds}.querySelectorAll('.switch-label')].map((e) => e.textContent); return s.length ? s : null })()`,
          'the rebuild switch',
        );
        assert.deepEqual(switches, [`rebuild → ${tv}`]);
        assert.match(await page.evaluate<string>(text(`[data-dataset="${DATASET}"] [data-panel="consistency"]`)), new RegExp(`Last rebuild #${after.rebuild!.id} .* completed .*published v${after.currentVersion}`));
        assert.equal(await page.evaluate('window.__reflowMarker'), 'same page');
        await page.screenshot(SCREENSHOT);
        await noExceptions(page);
      });

      it('says so when the API goes away', async () => {
        assert.equal(await page.evaluate(`document.getElementById('banner').hidden`), true, 'no banner while the API answers');
        await reflow.stopServer();
        const banner = await page.waitFor<string>(`!document.getElementById('banner').hidden && document.getElementById('banner').innerText`, 'the banner');
        assert.match(banner, /The Reflow API does not answer/);
        assert.equal(await page.evaluate(`document.getElementById('live').dataset.state`), 'offline');
        // The last view stays up beside the banner.
        assert.ok(await page.evaluate(`!!${ds}`));
        await noExceptions(page);
      });
    });

    it('explains a Reflow without a project', async () => {
      const reflow = await startDashboardReflow({ withProject: false });
      try {
        await page.goto(`${reflow.endpoint}/dashboard/`);
        const shown = await page.waitFor<string>(text('#no-project'), 'the no-project message');
        assert.match(shown, /No project is running/);
        assert.match(shown, /reflow up --project DIR/);
        await noExceptions(page);
      } finally {
        await reflow.close();
      }
    });

    it('serves the page under SigV4 and says that the API needs signed requests', async () => {
      const reflow = await startDashboardReflow({ server: { credentials: (id) => (id === 'AKIDDASHBOARD' ? 'dashboard-secret' : undefined) } });
      try {
        await page.goto(`${reflow.endpoint}/dashboard/`);
        const banner = await page.waitFor<string>(`!document.getElementById('banner').hidden && document.getElementById('banner').innerText`, 'the banner');
        assert.match(banner, /the API requires signed requests; start without REFLOW_ROOT_ACCESS_KEY_ID\/SECRET for the dashboard/i);
        // The page itself loaded (its stylesheet applied): only the API calls were refused.
        assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('.top')).position`), 'sticky');
        await noExceptions(page);
      } finally {
        await reflow.close();
      }
    });
  });
}
