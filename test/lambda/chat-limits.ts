// The documented limits of where a chat card goes (lambda/notify/chat-message.ts CHAT_PLATFORM_LIMITS, sources in
// docs/channels.md#chat-card-limits), as one assertion for the chat tests and the every-channel test. The schema
// and our own field bounds are checked by test/helpers/chat-card.ts (expectValidCard).

import { CHAT_LIMITS, CHAT_PLATFORM_LIMITS, type ChatNotification } from '../../lambda/notify/chat-message';

/** Field lengths in UTF-16 code units (an emoji counts two: the stricter reading), and the card's size per platform. */
export function expectWithinPlatformLimits(card: ChatNotification): ChatNotification {
  const json = JSON.stringify(card);
  expect(Buffer.byteLength(json, 'utf8')).toBeLessThanOrEqual(CHAT_LIMITS.messageBytes);
  expect(Buffer.byteLength(json, 'utf16le')).toBeLessThanOrEqual(CHAT_PLATFORM_LIMITS.teamsMessageUtf16Bytes);
  expect(json.length).toBeLessThanOrEqual(CHAT_PLATFORM_LIMITS.slackMessageChars);
  expect(card.content.title.length).toBeLessThanOrEqual(CHAT_PLATFORM_LIMITS.slackHeaderChars);
  expect(card.metadata.summary.length).toBeLessThanOrEqual(CHAT_PLATFORM_LIMITS.slackHeaderChars);
  expect(card.content.description.length).toBeLessThanOrEqual(CHAT_PLATFORM_LIMITS.slackSectionChars);
  expect(card.content.nextSteps.join('\n').length).toBeLessThanOrEqual(CHAT_PLATFORM_LIMITS.slackSectionChars);
  return card;
}
