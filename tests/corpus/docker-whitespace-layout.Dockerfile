From	alpine:3.20	AS	tools
  # an indented comment
    RUN	apk add --no-cache git
  
	Env	GIT_PAGER=cat
  COPY   --chmod=755   scripts/   /usr/local/bin/
Run echo one \
  && echo two\
  && echo three
WorkDir /work
