/*
 * sjwalk.cpp: the JSON peer of make bench. Walks every record of an
 * NDJSON file with simdjson's On-Demand API (iterate_many): the top-level
 * keys of each object, and the value of each key rules/bytelyst.rules
 * reads (a string unescaped, a number parsed, anything else as its JSON
 * text), keeping no metric at all. Prints how many records, fields read
 * and a sum over them, so that nothing is optimized away and the caller
 * can check the whole file was walked.
 *
 *	sjwalk file
 */
#include <cstdio>
#include <cstring>
#include <string_view>

#include <simdjson.h>

using namespace simdjson;

static const std::string_view wanted[] = {
	"severity", "type", "profileId", "symbol", "component", "subsystem",
	"durationMs", "outcome", "exchange", "operation", "latencyMs",
	"utilizationPercent", "mismatches", "missingInDb",
	"missingOnExchange", "time",
};

static bool
is_wanted(std::string_view k)
{
	for (std::string_view w : wanted)
		if (k == w)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	ondemand::parser	 parser;
	ondemand::document_stream docs;
	padded_string		 json;
	unsigned long long	 records = 0, fields = 0, bad = 0;
	double			 sum = 0;

	if (argc != 2) {
		std::fprintf(stderr, "usage: sjwalk file\n");
		return 2;
	}
	if (padded_string::load(argv[1]).get(json) != SUCCESS) {
		std::fprintf(stderr, "sjwalk: %s: cannot read\n", argv[1]);
		return 1;
	}
	if (parser.iterate_many(json).get(docs) != SUCCESS) {
		std::fprintf(stderr, "sjwalk: %s: cannot iterate\n", argv[1]);
		return 1;
	}
	for (auto doc : docs) {
		ondemand::object obj;

		records++;
		if (doc.get_object().get(obj) != SUCCESS) {
			bad++;
			continue;
		}
		for (auto field : obj) {
			std::string_view key, s;
			ondemand::value	 v;
			ondemand::json_type t;
			double		 d;

			if (field.unescaped_key().get(key) != SUCCESS) {
				bad++;
				break;
			}
			if (!is_wanted(key))
				continue;
			if (field.value().get(v) != SUCCESS ||
			    v.type().get(t) != SUCCESS) {
				bad++;
				break;
			}
			fields++;
			if (t == ondemand::json_type::string) {
				if (v.get_string().get(s) == SUCCESS)
					sum += (double)s.size();
			} else if (t == ondemand::json_type::number) {
				if (v.get_double().get(d) == SUCCESS)
					sum += d;
			} else
				sum += (double)v.raw_json_token().size();
		}
	}
	std::printf("%llu records, %llu fields, %llu bad, sum %.17g\n", records,
	    fields, bad, sum);
	return 0;
}
