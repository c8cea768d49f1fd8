import { describe, expect, it } from 'vitest';
import {
  computeInvoice,
  formatMoney,
  formatTaxPercent,
  formatUnitPrice,
  parsePeriod,
  parseTaxPercent,
  periodOf,
  previousPeriod,
  storageQuantity,
} from '../src/invoice-math.js';

const MIN = 60_000;

const plan = {
  name: 'Metered',
  priceMonthlyCents: 1000,
  recordingHours: 1,
  storageGb: 2,
  overageParticipantMinuteMicrocents: 400_000, // 0.4 cents
  overageMeetingMinuteMicrocents: 150_000, // 0.15 cents
  overageRecordingMinuteMicrocents: 1_000_000, // 1 cent
  overageStorageGbDayMicrocents: 333_333, // a third of a cent
};

describe('invoice totals', () => {
  it('rounds each line half up to the cent, then taxes the subtotal once', () => {
    // 207.5 participant-minutes bill as 208; 208 x 0.4 = 83.2 -> 83 cents; 96 x 0.15 = 14.4 -> 14 cents.
    const totals = computeInvoice(
      plan,
      { participantMs: 207.5 * MIN, meetingMs: 96 * MIN },
      { days: 30 },
      88_750, // 8.875 %
    );
    expect(totals.lines.map((l) => [l.kind, l.quantity, l.billable, l.amountCents])).toEqual([
      ['plan', 1, 1, 1000],
      ['participant_minutes', 208, 208, 83],
      ['meeting_minutes', 96, 96, 14],
    ]);
    // 1097 x 8.875 % = 97.35875 -> 97.
    expect(totals).toMatchObject({ subtotalCents: 1097, taxRatePpm: 88_750, taxCents: 97, totalCents: 1194 });
  });

  it('rounds an exact half cent up, on a line and on the tax', () => {
    const half = computeInvoice(
      { ...plan, priceMonthlyCents: 10 },
      { participantMs: 5 * MIN, meetingMs: 0 },
      { days: 30 },
      50_000, // 5 % of 10 + 2 = 0.6 -> 1
    );
    // 5 x 0.4 cents = 2.0; tax on 12 cents at 5 % = 0.6 -> 1.
    expect(half).toMatchObject({ subtotalCents: 12, taxCents: 1, totalCents: 13 });
    const exactHalf = computeInvoice(
      { ...plan, priceMonthlyCents: 0, overageParticipantMinuteMicrocents: 500_000 },
      { participantMs: 1 * MIN, meetingMs: 0 },
      { days: 30 },
      0,
    );
    // One minute at half a cent: 0.5 -> 1 cent.
    expect(exactHalf.lines[1]?.amountCents).toBe(1);
    expect(exactHalf.totalCents).toBe(1);
  });

  it('bills a month with no usage for the plan alone', () => {
    const totals = computeInvoice(plan, { participantMs: 0, meetingMs: 0 }, { days: 30 }, 88_750);
    expect(totals.lines.map((l) => l.amountCents)).toEqual([1000, 0, 0]);
    // 1000 x 8.875 % = 88.75 -> 89.
    expect(totals).toMatchObject({ subtotalCents: 1000, taxCents: 89, totalCents: 1089 });
    const free = computeInvoice(
      { ...plan, priceMonthlyCents: 0 },
      { participantMs: 0, meetingMs: 0 },
      { days: 31 },
      190_000,
    );
    expect(free).toMatchObject({ subtotalCents: 0, taxCents: 0, totalCents: 0 });
  });

  it('adds recording and storage lines when the usage has them, after what the plan includes', () => {
    const totals = computeInvoice(
      plan,
      {
        participantMs: 0,
        meetingMs: 0,
        recordingMs: 90.5 * MIN, // 91 minutes, 60 included
        storageGbDays: 74.9999996, // 75 GB-days to the millionth; 2 GB x 30 days = 60 included
      },
      { days: 30 },
      0,
    );
    expect(
      totals.lines.slice(3).map((l) => [l.kind, l.quantity, l.included, l.billable, l.amountCents]),
    ).toEqual([
      ['recording_minutes', 91, 60, 31, 31],
      // 15 x 0.333333 cents = 4.999995 -> 5.
      ['storage_gb_days', 75, 60, 15, 5],
    ]);
    expect(totals.totalCents).toBe(1000 + 31 + 5);
  });

  it('stays exact where the product of quantity and unit price is beyond floating point', () => {
    // 9,999,999,999 x 1,234,567 microcents = 12,345,669,998,765,433: more than 2^53, so a double would
    // round it; in integers it is 12,345,669,998.765433 cents -> 12,345,669,999.
    const totals = computeInvoice(
      { ...plan, priceMonthlyCents: 0, overageParticipantMinuteMicrocents: 1_234_567 },
      { participantMs: 9_999_999_999 * MIN, meetingMs: 0 },
      { days: 30 },
      190_000,
    );
    expect(totals.lines[1]?.amountCents).toBe(12_345_669_999);
    // 19 % of it: 2,345,677,299.81 -> 2,345,677,300.
    expect(totals).toMatchObject({ taxCents: 2_345_677_300, totalCents: 14_691_347_299 });
  });

  it('counts storage GB-days up to whole days, without rounding up a sum that is whole', () => {
    expect(storageQuantity(0.1 + 0.2 + 0.7)).toBe(1);
    expect(storageQuantity(3.0000001)).toBe(3);
    expect(storageQuantity(3.000001)).toBe(4);
    expect(storageQuantity(0)).toBe(0);
  });
});

describe('months in UTC', () => {
  it("knows each month's first and last day, leap years included", () => {
    expect(parsePeriod('2026-02')).toMatchObject({ days: 28, firstDay: '2026-02-01', lastDay: '2026-02-28' });
    expect(parsePeriod('2028-02')).toMatchObject({ days: 29, lastDay: '2028-02-29' });
    expect(parsePeriod('2026-12')?.end.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(parsePeriod('2026-13')).toBeNull();
    expect(parsePeriod('0099-05')).toBeNull();
    expect(parsePeriod('0000-01')).toBeNull();
    expect(parsePeriod('2026-1')).toBeNull();
  });

  it('puts the last millisecond of a month in it and midnight UTC in the next', () => {
    expect(periodOf(new Date('2026-11-30T23:59:59.999Z')).period).toBe('2026-11');
    expect(periodOf(new Date('2026-12-01T00:00:00.000Z')).period).toBe('2026-12');
    // 23:30 in New York on November 30th is already December in UTC.
    expect(periodOf(new Date('2026-11-30T23:30:00-05:00')).period).toBe('2026-12');
    expect(previousPeriod(parsePeriod('2027-01')!).period).toBe('2026-12');
  });
});

describe('tax rates and money as text', () => {
  it('reads a configured percent exactly, and refuses anything else', () => {
    expect(parseTaxPercent('19')).toBe(190_000);
    expect(parseTaxPercent('8.875')).toBe(88_750);
    expect(parseTaxPercent('0')).toBe(0);
    expect(parseTaxPercent('100')).toBe(1_000_000);
    expect(parseTaxPercent('0.0001')).toBe(1);
    for (const bad of ['100.5', '-1', '1e2', '8.88888', '', 'abc', '19%', '0x10'])
      expect(parseTaxPercent(bad), bad).toBeNull();
    expect(formatTaxPercent(88_750)).toBe('8.875');
    expect(formatTaxPercent(190_000)).toBe('19');
    expect(formatTaxPercent(0)).toBe('0');
  });

  it("prints amounts from integers in the currency's own unit", () => {
    expect(formatMoney(123_456, 'USD')).toBe('1,234.56 USD');
    expect(formatMoney(5, 'EUR')).toBe('0.05 EUR');
    expect(formatMoney(1500, 'JPY')).toBe('1,500 JPY');
    expect(formatMoney(1234, 'KWD')).toBe('1.234 KWD');
    expect(formatUnitPrice(400_000, 'USD')).toBe('0.004 USD');
    expect(formatUnitPrice(1_499_000_000, 'USD')).toBe('14.99 USD');
  });
});
