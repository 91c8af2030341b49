// The AWS Chatbot custom-notification schema (documented fields and values) and our bounds, as one assertion
// shared by the chat tests and the every-channel test.

import { CHAT_LIMITS, type ChatNotification } from '../../lambda/notify/chat-message';

/** Checks a card against the documented schema and our bounds; returns it for further checks. */
export function expectValidCard(card: ChatNotification): ChatNotification {
  expect(card.version).toBe('1.0');
  expect(card.source).toBe('custom');
  expect(card.content.textType).toBe('client-markdown');
  expect(Object.keys(card).sort()).toEqual(['content', 'id', 'metadata', 'source', 'version']);
  expect(Object.keys(card.content).sort()).toEqual(['description', 'keywords', 'nextSteps', 'textType', 'title']);
  expect(Object.keys(card.metadata).sort()).toEqual(['additionalContext', 'eventType', 'relatedResources', 'summary', 'threadId']);
  expect(card.content.title.length).toBeGreaterThan(0);
  expect(card.content.title.length).toBeLessThanOrEqual(CHAT_LIMITS.title);
  expect(card.content.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
  expect(card.content.nextSteps.length).toBeLessThanOrEqual(CHAT_LIMITS.nextSteps);
  for (const step of card.content.nextSteps) expect(step.length).toBeLessThanOrEqual(CHAT_LIMITS.nextStep);
  expect(card.content.keywords.length).toBeLessThanOrEqual(CHAT_LIMITS.keywords);
  for (const keyword of card.content.keywords) expect(keyword.length).toBeLessThanOrEqual(CHAT_LIMITS.keyword);
  expect(card.metadata.summary.length).toBeLessThanOrEqual(CHAT_LIMITS.summary);
  expect(card.metadata.relatedResources.length).toBeLessThanOrEqual(CHAT_LIMITS.relatedResources);
  expect(Object.keys(card.metadata.additionalContext).length).toBeLessThanOrEqual(CHAT_LIMITS.contextValues);
  for (const value of Object.values(card.metadata.additionalContext)) expect(value.length).toBeLessThanOrEqual(CHAT_LIMITS.contextValue);
  expect(Buffer.byteLength(JSON.stringify(card), 'utf8')).toBeLessThanOrEqual(CHAT_LIMITS.messageBytes);
  return card;
}
