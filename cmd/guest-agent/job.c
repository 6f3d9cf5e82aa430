/* The /exec request: its JSON body checked, field by field, into a struct
 * job (guest-agent(8) lists the fields and their bounds). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"

#include "guest-agent/agent.h"

const struct lang *
lang_find(const char *name)
{
	for (int i = 0; i < nlangs; i++)
		if (!strcmp(langs[i].name, name))
			return &langs[i];
	return NULL;
}

static const char *const exec_fields[] = {
	"argv", "language", "code", "code_b64", "stdin", "stdin_b64", "env",
	"cwd", "timeout_ms", "max_output", "stream", "stdin_stream",
};

/* A string or a base64 field (NAME or NAME_b64) as bytes; malloc'd. */
static const char *
bytes_field(const struct json *o, const char *name, char **out, size_t *len)
{
	char b64name[32];
	const struct json *s = json_get(o, name), *b;

	snprintf(b64name, sizeof b64name, "%s_b64", name);
	b = json_get(o, b64name);
	*out = NULL;
	*len = 0;
	if (s && b)
		return "give a field as text or as base64, not both";
	if (!s && !b)
		return NULL;
	if ((s ? s : b)->type != JSON_STR)
		return "a text field is not a string";
	if (json_bytes_get(o, name, out, len) < 0)
		return errno == ENOMEM ? "out of memory" :
		    "a _b64 field is not base64";
	return NULL;
}

static int
has_nul(const struct json *v)
{
	return memchr(v->s, 0, v->len) != NULL;
}

/* Fill j from the JSON body; NULL, or what is wrong. */
const char *
job_parse(const struct json *o, struct job *j, int *with_langs)
{
	const struct json *argv = json_get(o, "argv"),
	    *lang = json_get(o, "language"), *env = json_get(o, "env"),
	    *cwd = json_get(o, "cwd"), *v;
	const char *e;
	size_t n = 0;
	struct stat st;

	memset(j, 0, sizeof *j);
	j->timeout_ms = TIMEOUT_DEFAULT;
	j->max_output = OUTPUT_DEFAULT;
	if (!o || o->type != JSON_OBJ)
		return "the body is not a JSON object";
	if (!json_keys_only(o, exec_fields, sizeof exec_fields /
	    sizeof *exec_fields))
		return "unknown field";
	if (!argv == !lang)
		return "give argv or language, one of them";
	if ((e = bytes_field(o, "code", &j->code, &j->codelen)))
		return e;
	if ((e = bytes_field(o, "stdin", &j->in, &j->inlen)))
		return e;
	if (argv) {
		if (argv->type != JSON_ARR || !argv->len || argv->len > 4096)
			return "argv is not an array of 1 to 4096 strings";
		if (j->code)
			return "code goes with language, not argv";
		if (!(j->argv = calloc(argv->len + 1, sizeof *j->argv)))
			return "out of memory";
		for (v = argv->child; v; v = v->next) {
			if (v->type != JSON_STR || has_nul(v) ||
			    (n == 0 && !v->len))
				return "argv holds a value that is not a "
				    "string, or a NUL byte";
			j->argv[n++] = (char *)v->s;
		}
	} else {
		if (lang->type != JSON_STR)
			return "language is not a string";
		if (!(j->lang = lang_find(lang->s))) {
			*with_langs = 1;
			return "unknown language";
		}
		if (!j->code || !j->codelen)
			return "code is missing or empty";
	}
	if (env && (env->type != JSON_OBJ || env->len > 1024))
		return "env is not an object of at most 1024 strings";
	if (!(j->envp = calloc((env ? env->len : 0) + 3, sizeof *j->envp)) ||
	    !(j->envp[0] = strdup(JOB_PATH)) ||
	    asprintf(&j->envp[1], "HOME=%s", workdir) < 0)
		return "out of memory";
	n = 2;
	for (v = env ? env->child : NULL; v; v = v->next) {
		char *kv;
		size_t k = 0;
		if (v->type != JSON_STR || has_nul(v) || !v->keylen ||
		    memchr(v->key, '=', v->keylen) ||
		    memchr(v->key, 0, v->keylen))
			return "env holds a bad name or value";
		if (asprintf(&kv, "%s=%s", v->key, v->s) < 0)
			return "out of memory";
		/* A name given twice, or PATH or HOME, is replaced. */
		while (k < n && strncmp(j->envp[k], kv, v->keylen + 1))
			k++;
		if (k < n)
			free(j->envp[k]);
		else
			n++;
		j->envp[k] = kv;
	}
	j->cwd = workdir;
	if (cwd) {
		if (cwd->type != JSON_STR || has_nul(cwd))
			return "cwd is not a string";
		if (stat(cwd->s, &st) < 0 || !S_ISDIR(st.st_mode))
			return "cwd is not a directory";
		j->cwd = cwd->s;
	}
	if ((v = json_get(o, "timeout_ms")) &&
	    json_int(v, 1, TIMEOUT_MAX, &j->timeout_ms) < 0)
		return "timeout_ms is not an integer in 1..86400000";
	if ((v = json_get(o, "max_output")) &&
	    json_int(v, 0, OUTPUT_MAX, &j->max_output) < 0)
		return "max_output is not an integer in 0..67108864";
	if ((v = json_get(o, "stream"))) {
		if (v->type != JSON_TRUE && v->type != JSON_FALSE)
			return "stream is not true or false";
		j->stream = v->type == JSON_TRUE;
	}
	if ((v = json_get(o, "stdin_stream"))) {
		if (v->type != JSON_TRUE && v->type != JSON_FALSE)
			return "stdin_stream is not true or false";
		j->stdin_stream = v->type == JSON_TRUE;
	}
	if (j->stdin_stream && (!j->stream || j->in))
		return "stdin_stream goes with stream, without stdin";
	return NULL;
}

void
job_free(struct job *j)
{
	free(j->argv);
	for (int i = 0; j->envp && j->envp[i]; i++)
		free(j->envp[i]);
	free(j->envp);
	free(j->in);
	free(j->code);
}
