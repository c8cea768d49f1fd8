import { describe, expect, it } from 'vitest';
import type { Plan } from '../../api/billing.js';
import { planBodyOf, planErrorsOf, planFormOf } from './planForm.js';

const pro: Plan = {
  id: 'pro',
  name: 'Pro',
  max_participants: 300,
  max_meeting_minutes: 1800,
  recording_allowed: true,
  recording_hours: 20,
  storage_gb: 5,
  price_monthly_cents: 1499,
  currency: 'USD',
  active: true,
  overage_participant_minute_microcents: 0,
  overage_meeting_minute_microcents: 0,
  overage_recording_minute_microcents: 2_000_000,
  overage_storage_gb_day_microcents: 0,
};

describe('the plan form', () => {
  it('shows a plan as text and gives back the same plan, overage prices kept', () => {
    const form = planFormOf(pro);
    expect(form.price_monthly_cents).toBe('14.99');
    const { id: _id, ...body } = pro;
    expect(planBodyOf(form)).toEqual({ ok: true, body });
  });

  it('reads prices with a comma or no decimals, and changed limits', () => {
    const form = {
      ...planFormOf(pro),
      price_monthly_cents: '20,5',
      max_participants: ' 500 ',
      storage_gb: '0',
    };
    const result = planBodyOf(form);
    expect(result.ok && result.body).toMatchObject({
      price_monthly_cents: 2050,
      max_participants: 500,
      storage_gb: 0,
    });
    expect(planBodyOf({ ...form, price_monthly_cents: '9' })).toMatchObject({
      body: { price_monthly_cents: 900 },
    });
  });

  it('names each input whose text is not a number, and sends nothing', () => {
    const result = planBodyOf({
      ...planFormOf(pro),
      max_participants: 'many',
      recording_hours: '1.5',
      price_monthly_cents: '14.999',
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        max_participants: 'must be a whole number',
        recording_hours: 'must be a whole number',
        price_monthly_cents: 'must be an amount such as 14.99',
      },
    });
  });

  it("puts billing's field messages next to their inputs, and the rest apart", () => {
    expect(
      planErrorsOf([
        { field: 'max_participants', message: 'Too small: expected number to be >=2' },
        { field: 'id', message: 'must be a slug' },
        { field: 'body', message: 'is odd' },
      ]),
    ).toEqual({
      max_participants: 'Too small: expected number to be >=2',
      id: 'must be a slug',
      '': 'body is odd',
    });
  });
});
