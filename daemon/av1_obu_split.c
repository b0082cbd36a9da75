/* SPDX-License-Identifier: BSD-2-Clause */
#include "av1_obu_split.h"

#include <errno.h>

int dd_av1_obu_split(const uint8_t *data, size_t len, struct dd_av1_obu_unit *obu)
{
	size_t head, i;
	uint64_t size = 0;

	if (!len)
		return 0;
	/* obu_forbidden_bit; obu_has_size_field, required in Section 5. */
	if ((data[0] & 0x80) || !(data[0] & 0x02))
		return -EBADMSG;
	head = data[0] & 0x04 ? 2 : 1;	/* obu_extension_flag */
	/* leb128(): at most 8 bytes, 7 bits each, least significant first. */
	for (i = 0;; i++) {
		if (i == 8)
			return -EBADMSG;
		if (head + i >= len)
			return 0;
		size |= (uint64_t)(data[head + i] & 0x7f) << (7 * i);
		if (!(data[head + i] & 0x80))
			break;
	}
	if (size > DD_AV1_OBU_MAX)
		return -EBADMSG;
	head += i + 1;
	if (len - head < size)
		return 0;
	obu->type = (data[0] >> 3) & 0x0f;
	obu->size = head + (size_t)size;
	return 1;
}
