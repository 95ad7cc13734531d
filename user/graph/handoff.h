/* SPDX-License-Identifier: MIT */
/*
 * Hand-offs to sub-agents: how much of the payload a served request
 * carried (an agent delegating, often with an LLM-written body) reached
 * the first LLM input of the sub-agent serving it. The pure parts, for
 * the graph stage (graph.c drives them) and its tests.
 */
#ifndef AR_GRAPH_HANDOFF_H
#define AR_GRAPH_HANDOFF_H

#include <stddef.h>

#include <jansson.h>

/* The text an LLM call's input stands for: the text parts and tool results
 * of its semconv input messages and system instructions, one per line,
 * whitespace-normalised (norm__ws) and cut to max bytes. Malloc'd (*len
 * set), or NULL on -ENOMEM. */
char *handoff__input_text(const json_t *msgs, const json_t *sys, size_t max, size_t *len);

/* Compares a request body (the payload: its JSON leaf strings, or the
 * whole text when it is not JSON) with in (from handoff__input_text):
 * drift__reached. Returns the class (enum drift), -ENOENT for a payload
 * with no text, or -ENOMEM. */
int handoff__measure(const char *body, size_t n, const char *in, size_t in_len,
		     double *share);

#endif
