#!/bin/sh
# "Compiles" the greeting: the word given, capitalised, with the build's version.
word="$1"
first=$(echo "$word" | cut -c1 | tr a-z A-Z)
rest=$(echo "$word" | cut -c2-)
echo "${first}${rest} from Janus (version $(cat VERSION))"
