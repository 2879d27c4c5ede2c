import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../spec/errors.ts";
import { busySecondsFor, createLocalCostModel, hoursPerMonth } from "./local-cost.ts";

function close(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${message ?? ""} expected ${expected}, got ${actual}`);
}

describe("local cost model", () => {
  test("a month is 730 hours", () => {
    assert.equal(hoursPerMonth, (365 * 24) / 12);
  });

  test("bought hardware: amortisation spread over busy hours plus power while busy", () => {
    // $4,380 over 12 months = $365/month; 50% of 730 h = 365 busy hours → $1 per busy hour;
    // 500 W at $0.20/kWh = $0.10 per hour → $1.10 per busy hour.
    const model = createLocalCostModel({ hardwareCost: 4380, amortisationMonths: 12, powerWatts: 500, electricityPerKwh: 0.2, utilisation: 0.5 });
    close(model.costPerBusyHour, 1.1);
    close(model.breakdown.hardwarePerMonth, 365);
    close(model.breakdown.busyHoursPerMonth, 365);
    close(model.breakdown.energyPerBusyHour, 0.1);
    // 36 s = 1/100 hour → $0.011; two requests batched together share it.
    assert.equal(model.costOfRequest({ busySeconds: 36 }), 0.011);
    assert.equal(model.costOfRequest({ busySeconds: 36, concurrentRequests: 2 }), 0.0055);
    assert.equal(model.costOfRequest({ busySeconds: 0 }), 0);
  });

  test("a rented machine is paid for every hour, so its rate is divided by the utilisation", () => {
    // $2/h, busy a quarter of the time → $8 per busy hour; 90 s → $0.20.
    const model = createLocalCostModel({ hourlyRate: 2, powerWatts: 0, electricityPerKwh: 0.3, utilisation: 0.25 });
    close(model.costPerBusyHour, 8);
    close(model.breakdown.rentalPerMonth, 2 * 730);
    assert.equal(model.costOfRequest({ busySeconds: 90 }), 0.2);
  });

  test("idle draw and overhead are fixed monthly costs spread over the busy hours", () => {
    // No hardware cost. Idle: 100 W × 365 idle h × $0.20/kWh = $7.30/month; overhead $73/month;
    // (7.30 + 73) ÷ 365 busy h = $0.22; busy draw 300 W × $0.20/kWh = $0.06 → $0.28 per busy hour.
    const model = createLocalCostModel({ powerWatts: 300, idlePowerWatts: 100, electricityPerKwh: 0.2, overheadPerMonth: 73, utilisation: 0.5 });
    close(model.breakdown.idleEnergyPerMonth, 7.3);
    close(model.breakdown.fixedPerMonth, 80.3);
    close(model.costPerBusyHour, 0.28);
  });

  test("cost of tokens: busy time from prompt and decode speeds", () => {
    const throughput = { promptTokensPerSecond: 1000, decodeTokensPerSecond: 10 };
    // 2000 prompt tokens ÷ 1000/s + 100 generated ÷ 10/s = 12 s.
    assert.equal(busySecondsFor({ inputTokens: 2000, outputTokens: 100 }, throughput), 12);
    const model = createLocalCostModel({ hardwareCost: 4380, amortisationMonths: 12, powerWatts: 500, electricityPerKwh: 0.2, utilisation: 0.5 });
    // $1.10/h × 12 s ÷ 3600 = $0.003666…, rounded to 1e-9.
    assert.equal(model.costOfTokens({ inputTokens: 2000, outputTokens: 100 }, throughput), 0.003666667);
    assert.equal(model.costOfTokens({ inputTokens: 2000, outputTokens: 100 }, throughput), model.costOfRequest({ busySeconds: 12 }));
  });

  test("hardware already paid for costs only its power", () => {
    const model = createLocalCostModel({ powerWatts: 1000, electricityPerKwh: 0.25, utilisation: 1 });
    close(model.costPerBusyHour, 0.25);
  });

  test("bad settings are invalid_request errors naming the setting", () => {
    const base = { powerWatts: 100, electricityPerKwh: 0.2, utilisation: 0.5 };
    const cases: Array<[Record<string, number | undefined>, string]> = [
      [{ utilisation: 0 }, "utilisation"],
      [{ utilisation: 1.5 }, "utilisation"],
      [{ hardwareCost: 1000 }, "amortisationMonths"],
      [{ hardwareCost: 1000, amortisationMonths: 0 }, "amortisationMonths"],
      [{ hourlyRate: -1 }, "hourlyRate"],
      [{ powerWatts: Number.NaN }, "powerWatts"],
      [{ idlePowerWatts: 200 }, "idlePowerWatts"],
      [{ electricityPerKwh: -0.1 }, "electricityPerKwh"],
    ];
    for (const [change, param] of cases) {
      assert.throws(
        () => createLocalCostModel({ ...base, ...change }),
        (error: unknown) => HearthError.isInstance(error) && error.code === "invalid_request" && error.param === param,
        param,
      );
    }
    const model = createLocalCostModel(base);
    assert.throws(() => model.costOfRequest({ busySeconds: -1 }), RangeError);
    assert.throws(() => model.costOfRequest({ busySeconds: 1, concurrentRequests: 0 }), RangeError);
    assert.throws(() => model.costOfTokens({ inputTokens: 1, outputTokens: 1 }, { promptTokensPerSecond: 0, decodeTokensPerSecond: 1 }), HearthError);
  });
});
