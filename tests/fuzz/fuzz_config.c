// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the configuration files agentrace reads: the
 * JSON/YAML loader (common/jyaml.c) and, on what it accepts, the tail
 * sampling config (sample/config.c) and the tool contracts file
 * (contracts/file.c). Each must answer an error, never crash or leak.
 */
#include <stdlib.h>
#include <string.h>

#include "common/jyaml.h"
#include "contracts/file.h"
#include "sample/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *j = jyaml__load((const char *)data, size, err, sizeof(err));
	struct sample_cfg c;
	struct contract_set cs;

	if (!j)
		return 0;
	sample_cfg__init(&c);
	sample_cfg__apply(&c, j, err, sizeof(err));
	sample_cfg__release(&c);
	if (contract_set__parse(&cs, j, err, sizeof(err)) == 0)
		contract_set__release(&cs);
	json_decref(j);
	return 0;
}
