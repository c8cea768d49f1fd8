// How the dashboard puts a member's presence in words (text labels only).
import type { MemberPresence } from '../api/presence.js';

/** "In a meeting now: Alice in Weekly sync", in words only. */
export function presenceLine(p: MemberPresence, selfId: string | undefined): string {
  const name = p.user_id === selfId ? `${p.display_name} (you)` : p.display_name;
  const where = p.meetings.map((m) => m.title).join(', ');
  switch (p.state) {
    case 'in_meeting':
      return where === '' ? `In a meeting now: ${name}` : `In a meeting now: ${name} in ${where}`;
    case 'away':
      return where === '' ? `Away: ${name}` : `Away: ${name} (in ${where})`;
    case 'online':
      return `Online: ${name}`;
  }
}
