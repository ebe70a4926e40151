FROM quay.io/centos/centos:stream9
LABEL name="legacy-reporting" vendor="Example Corp" release="7"
RUN yum -y install epel-release \
 && yum -y install python3 python3-pip cronie \
 && yum clean all
COPY reporting/ /opt/reporting/
RUN pip3 install --no-cache-dir -r /opt/reporting/requirements.txt
CMD ["/usr/sbin/crond", "-n"]
