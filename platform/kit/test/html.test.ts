import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/html.js';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;',
    );
  });

  it('leaves other text, including an existing entity, to be escaped once', () => {
    expect(escapeHtml('Zoë, 5 € &amp;')).toBe('Zoë, 5 € &amp;amp;');
  });
});
