FROM alpine:3.20   
RUN apk add --no-cache \  
      curl \	
      jq   
ENV MODE=fast  
	
CMD ["jq", "--version"]  
