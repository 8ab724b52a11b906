import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown } from '../../studio/lib/markdown.ts';

describe('parseInline', () => {
  it('splits code, bold, italic and links out of text', () => {
    expect(parseInline('Use `x` for **big** and *small* [docs](https://example.org) here')).toEqual([
      { kind: 'text', text: 'Use ' },
      { kind: 'code', text: 'x' },
      { kind: 'text', text: ' for ' },
      { kind: 'strong', text: 'big' },
      { kind: 'text', text: ' and ' },
      { kind: 'em', text: 'small' },
      { kind: 'text', text: ' ' },
      { kind: 'link', text: 'docs', href: 'https://example.org' },
      { kind: 'text', text: ' here' },
    ]);
  });

  it('keeps non-http links and snake_case as text', () => {
    expect(parseInline('[x](javascript:void) my_var_name')).toEqual([
      { kind: 'text', text: 'x' },
      { kind: 'text', text: ' my_var_name' },
    ]);
    expect(parseInline('a * b * c')).toEqual([{ kind: 'text', text: 'a * b * c' }]);
  });
});

describe('parseMarkdown', () => {
  it('parses paragraphs, lists, headings and fenced code', () => {
    const md = [
      '# Title',
      'First line',
      'continues here.',
      '',
      '- one',
      '- two',
      '  wrapped',
      '1. first',
      '',
      '```',
      'code <b>',
      '```',
      'Last.',
    ].join('\n');
    expect(parseMarkdown(md)).toEqual([
      { kind: 'heading', level: 1, inlines: [{ kind: 'text', text: 'Title' }] },
      { kind: 'p', inlines: [{ kind: 'text', text: 'First line continues here.' }] },
      {
        kind: 'ul',
        items: [[{ kind: 'text', text: 'one' }], [{ kind: 'text', text: 'two wrapped' }]],
      },
      { kind: 'ol', items: [[{ kind: 'text', text: 'first' }]] },
      { kind: 'code', text: 'code <b>' },
      { kind: 'p', inlines: [{ kind: 'text', text: 'Last.' }] },
    ]);
  });

  it('returns nothing for empty docs', () => {
    expect(parseMarkdown('  \n\n')).toEqual([]);
  });
});
